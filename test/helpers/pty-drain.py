# Fill a pty whose slave then closes, and relay its master with
# attachTerminal (test/helpers/pty-drain.mjs): what reaches stdout is what
# the relay got. usage: python3 pty-drain.py BYTES
import os, subprocess, sys, time, tty

size = int(sys.argv[1])
master, slave = os.openpty()
tty.setraw(slave)  # bytes arrive as written
os.set_blocking(slave, False)
data = b'x' * size
written = 0
deadline = time.monotonic() + 5
while written < size:
    try:
        written += os.write(slave, data[written:])
    except BlockingIOError:
        # the pty moves what it took on to its line discipline in the background
        if time.monotonic() > deadline:
            sys.exit(f'the pty took {written} bytes of {size}')
        time.sleep(0.01)
os.close(slave)  # the master polls as hung up from here, still holding all of it
relay = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pty-drain.mjs')
r = subprocess.run(['node', relay, str(master)], pass_fds=[master], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
sys.stdout.buffer.write(r.stdout)
sys.stderr.buffer.write(r.stderr)
sys.exit(r.returncode)
