# A --console-socket receiver, as conmon and containerd-shim are: listen on a
# unix socket, take the pty master the runtime sends with SCM_RIGHTS, then
# type argv[2] (if given) into it and print everything the container writes
# until it closes. Used by test/oci-create-start.test.ts and oci-exec.
import os, select, socket, sys, time

path = sys.argv[1]
typed = sys.argv[2].encode() if len(sys.argv) > 2 else b''
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
print('listening', flush=True)
conn, _ = server.accept()
msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
master = fds[0]
print('received', 'tty' if os.isatty(master) else 'not-a-tty', flush=True)
if typed:
    os.write(master, typed)
out = b''
deadline = time.time() + 20
while time.time() < deadline:
    r, _, _ = select.select([master], [], [], 0.1)
    if not r:
        continue
    try:
        data = os.read(master, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
sys.stdout.write(out.decode(errors='replace'))
