// 日本語 (not bundled by default, see ../langs.js)
export const n = "コメント1件|コメント{{ n }}件";
export const t = `コメントを入力してください（3文字以上）
名前（任意）
山田花子
メールアドレス（任意）
hanako@example.com
ウェブサイト（任意）
https://example.com
プレビュー
編集
送信
返信があったらメールで知らせる
コメントはまだありません
Atomフィード
返信
編集
保存
削除
本当に削除しますか？
閉じる
キャンセル
コメントは削除されました。
コメントは承認待ちです。
匿名
{{ n }}件を非表示
筆者
たった今
1分前|{{ n }}分前
1時間前|{{ n }}時間前
昨日|{{ n }}日前
先週|{{ n }}週間前
先月|{{ n }}か月前
昨年|{{ n }}年前
高評価
低評価
保存できませんでした。`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `短時間にコメントが多すぎます。しばらくしてからもう一度お試しください。
このコメントは受け付けられませんでした。
メールアドレスを入力してください。
名前を入力してください。
サーバーが混み合っているか、接続できません。少し待ってからもう一度お試しください。
サーバーがコメントを受け付けませんでした。後でもう一度お試しいただけます。`;
