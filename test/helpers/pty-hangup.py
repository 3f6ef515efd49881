# Run a command on a fresh pty as if in a terminal window, wait until it
# prints "ready", then close the terminal as a killed tmux session or a
# dropped SSH connection does (the pty master goes: the kernel hangs the
# terminal up and sends SIGHUP to its session). Report whether and how fast
# the command ended after that. Used by test/reliability-terminal.test.ts.
import json, os, pty, select, sys, time

pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
deadline = time.time() + 30
while time.time() < deadline and b'ready' not in out:
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        try:
            out += os.read(master, 4096)
        except OSError:
            break
hung_up = time.time()
os.close(master)
status = None
while time.time() < hung_up + 15:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
    time.sleep(0.05)
seconds = time.time() - hung_up
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({'output': out.decode(errors='replace'), 'ended': status is not None, 'status': status, 'seconds': seconds}))
