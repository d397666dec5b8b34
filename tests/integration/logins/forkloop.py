#!/usr/bin/env python3
# A fork loop for the tasks_max tests: forks sleepers until the kernel
# refuses, tries 20 more times (a fork loop does not stop at the first
# refusal), ends them all and prints how many it got and how many were
# refused.
import os
import signal
import time

kids, refused = [], 0
for _ in range(400):
    try:
        pid = os.fork()
    except BlockingIOError:
        refused += 1
        if refused > 20:
            break
        continue
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    kids.append(pid)
for k in kids:
    os.kill(k, signal.SIGKILL)
for k in kids:
    os.waitpid(k, 0)
print("forked=%d refused=%d" % (len(kids), refused))
