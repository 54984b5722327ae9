// 简体中文 (not bundled by default, see ../langs.js); map it to "zh" and "zh-CN"
export const n = "1 条评论|{{ n }} 条评论";
export const t = `在此输入评论（至少 3 个字符）
名字（可选）
张小明
电子邮箱（可选）
xiaoming@example.com
网站（可选）
https://example.com
预览
编辑
提交
有人回复时发邮件通知我
还没有评论
Atom 订阅
回复
编辑
保存
删除
确定删除？
关闭
取消
评论已删除。
评论正在等待审核。
匿名
已隐藏 {{ n }} 条
作者
刚刚
1 分钟前|{{ n }} 分钟前
1 小时前|{{ n }} 小时前
昨天|{{ n }} 天前
上周|{{ n }} 周前
上个月|{{ n }} 个月前
去年|{{ n }} 年前
赞同
反对
保存失败。`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `短时间内评论过多，请稍后再试。
此评论无法被接受。
请填写电子邮件地址。
请填写名字。
服务器繁忙或无法连接，请稍后再试。
服务器未接受该评论，可以稍后再试。`;
