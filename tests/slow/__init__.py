"""
The slow layer of the test-suite: what needs more than this process and a
fake clock. C{twistd} and the C{isso-tx} command in child processes, real
ports, headless Chromium driven through Node, memory measurements.
C{scripts/run-tests} runs it after the fast layer (C{make test-fast} runs
the fast layer alone).
"""
