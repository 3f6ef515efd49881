# Run a command on a fresh pty, as if typed in a terminal: set its window
# size, type a key and resize it when the command says so, and report what the
# terminal's mode was before and after. Used by test/run-tty.test.ts.
import fcntl, json, os, pty, select, struct, sys, termios, time

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
set_size(master, 30, 100)
# the child's end of the pty, to read its mode (a master has no termios of its own)
TIOCGPTN = 0x80045430  # the pty number of a master (ioctl_tty(2))
number = struct.unpack('I', fcntl.ioctl(master, TIOCGPTN, b'\0\0\0\0'))[0]
slave = os.open(f'/dev/pts/{number}', os.O_RDWR | os.O_NOCTTY)
before = termios.tcgetattr(slave)
out = b''
resized = typed = False
status = None
deadline = time.time() + 20
while time.time() < deadline and status is None:
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    # the command prints "ready" when it waits for a key, "armed" when for a resize
    if not typed and b'ready' in out:
        os.write(master, b'q')
        typed = True
    if not resized and b'armed' in out:
        set_size(master, 50, 132)  # the kernel sends SIGWINCH to the pty's foreground group
        resized = True
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
if status is None:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
# what the command wrote between the last read and its exit is still in the
# pty: read it all (our own slave fd keeps the master from reading EIO)
while select.select([master], [], [], 0.05)[0]:
    try:
        data = os.read(master, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
after = termios.tcgetattr(slave)
print(json.dumps({'output': out.decode(errors='replace'), 'status': os.waitstatus_to_exitcode(status), 'modeRestored': before == after, 'rawBefore': not (before[3] & termios.ICANON)}))
