# Drive a command on a fresh pty as a person at a terminal would: a script
# of steps, each waiting for some text to appear (at most 20 s), then typing
# bytes; then wait for the command to exit (or report that it still runs).
# Prints {"output", "status" (null if it did not exit), "steps" (how many ran)}.
# usage: pty-script.py '[{"wait": "ready", "send": "\u0010\u0011"}, ...]' CMD ARG...
# A step's "kill" (a signal's name: "USR1") is sent to the command instead of
# typing, and the step ends once the command has taken it (no longer
# pending: two of a kind pending at once would be one).
# Used by test/cli-attach.test.ts and test/sig-proxy.test.ts.
# PTY_SIZE=ROWS,COLS in the environment: the terminal's size (else 0x0).
import fcntl, json, os, pty, select, signal, struct, sys, termios, time

steps = json.loads(sys.argv[1])
pid, master = pty.fork()
if pid == 0:
    if os.environ.get('PTY_SIZE'):
        rows, cols = (int(n) for n in os.environ.pop('PTY_SIZE').split(','))
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(sys.argv[2], sys.argv[2:])
out = b''
status = None
done = 0
deadline = time.time() + 30

def pump(timeout):
    global out, status
    r, _, _ = select.select([master], [], [], timeout)
    if r:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b''
        out += data
    if status is None:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            status = os.waitstatus_to_exitcode(st)

def pending(p):
    try:
        with open(f'/proc/{p}/status') as f:
            return int(next(l for l in f if l.startswith('ShdPnd:')).split()[1], 16)
    except (OSError, StopIteration):
        return 0

for step in steps:
    end = time.time() + 20
    while step.get('wait', '').encode() not in out and time.time() < end and status is None:
        pump(0.05)
    if step.get('wait', '').encode() not in out:
        break
    if 'sleep' in step:
        time.sleep(step['sleep'])
    if 'kill' in step:
        number = signal.Signals['SIG' + step['kill']]
        os.kill(pid, number)
        while status is None and pending(pid) & (1 << (number - 1)):
            pump(0.01)
    os.write(master, step.get('send', '').encode())
    done += 1
while status is None and time.time() < deadline:
    pump(0.05)
# drain what is left
for _ in range(5):
    pump(0.02)
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({'output': out.decode(errors='replace'), 'status': status, 'steps': done}))
