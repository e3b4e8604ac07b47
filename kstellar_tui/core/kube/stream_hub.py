"""StreamHub: one thread reads every watch stream, so hundreds of streams do not fight over the GIL.

With a thread per stream, every socket read hands the GIL to another CPU-bound decoder; at 50
streams and more, reads and requests wait seconds for it (the convoy effect) and throughput fell
ten-fold. So the loop threads only make requests (auth, TLS, backoff stay with the official
client) and, once a watch response's headers have arrived, hand its socket to this thread. It
waits on all sockets at once with `selectors`, reads whatever arrived without blocking (256 KB,
a hundred events, per read), strips the HTTP/1.1 chunk framing and passes the payload to the
stream's consumer. The consumer is meant to be cheap (ListWatch only splits lines; the sink's
owner decodes them on its own thread), so this thread spends its time waiting, not holding the
GIL, and reads, stops and timeouts stay prompt at any number of streams.

A stream that brings no bytes for its read timeout fails with `TimeoutError`: that is how a
silently dead connection (laptop sleep, a dropped NAT entry) is noticed."""

from __future__ import annotations

import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

READ_SIZE = 256 * 1024  # per read and per stream per round: a burst of ~100 events, one GIL release
_WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


class StreamEnded(ConnectionError):
    """The connection closed before the terminating chunk: the server or the network dropped it."""


class Stream:
    """One watch body being read by the hub; its loop thread blocks in `wait()`."""

    def __init__(self, hub: StreamHub, response: Any, sock: socket.socket, consume: Callable[[bytes], None],
                 read_timeout: float, leftover: bytes):
        self._hub = hub
        self.response = response
        self.sock = sock
        self.tls = isinstance(sock, ssl.SSLSocket)
        self.consume = consume
        self.read_timeout = read_timeout
        self.leftover = leftover
        self.last_read = time.monotonic()
        self.chunks = Dechunker()
        self.error: BaseException | None = None
        self.done = threading.Event()

    def wait(self) -> None:
        """Block until the stream ends; raise what ended it (nothing when the server closed it cleanly
        or it was cancelled)."""
        self.done.wait()
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        """End the stream without an error (from any thread); `wait()` returns soon after."""
        self._hub._command(("cancel", self))


class Dechunker:
    """HTTP/1.1 chunked transfer coding, undone incrementally: `feed(bytes) -> payload`.

    An incomplete chunk waits in a list until enough bytes have arrived, so a large object that
    comes in many reads is joined once, not once per read."""

    def __init__(self) -> None:
        self._held: list[bytes] = []
        self._held_size = 0
        self._needed = 0  # bytes the held ones must reach before parsing can progress
        self.done = False  # the terminating zero-size chunk has arrived

    def feed(self, data: bytes) -> bytes:
        if self._held:
            self._held.append(data)
            self._held_size += len(data)
            if self._held_size < self._needed:
                return b""
            buf = b"".join(self._held)
        else:
            buf = data
        parts = []
        pos = 0
        find = buf.find
        needed = 0
        while True:
            eol = find(b"\r\n", pos)
            if eol < 0:
                break
            size = int(buf[pos:eol].split(b";", 1)[0], 16)
            if size == 0:
                self.done = True  # trailers, if any, are of no interest
                break
            end = eol + 2 + size
            if end + 2 > len(buf):
                needed = end + 2 - pos
                break
            parts.append(buf[eol + 2:end])
            pos = end + 2
        rest = buf[pos:] if pos < len(buf) else b""
        self._held = [rest] if rest else []
        self._held_size = len(rest)
        self._needed = needed
        return parts[0] if len(parts) == 1 else b"".join(parts)


class StreamHub:
    """The reader thread and its selector. `attach()` and `Stream.cancel()` may be called from any
    thread; everything else runs on the hub's own thread."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._commands: list[tuple] = []
        self._streams: set[Stream] = set()
        self._next_expiry: float | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="watch stream hub", daemon=True)
        self._thread.start()

    # -- any thread --------------------------------------------------------------------------
    def attach(self, response: Any, consume: Callable[[bytes], None], read_timeout: float) -> Stream | None:
        """Take over a chunked urllib3 response whose headers were read; None when its socket
        cannot be reached (not chunked, content-coded, or TLS through a proxy): read it yourself.

        `consume(payload)` runs on the hub's thread with the de-chunked bytes of each read; an
        exception it raises ends the stream with that error."""
        sock = _socket_of(response)
        if sock is None:
            return None
        sock.setblocking(False)
        stream = Stream(self, response, sock, consume, read_timeout, _buffered(response))
        self._command(("attach", stream))
        return stream

    def close(self) -> None:
        """End every stream (with `StreamEnded`) and the thread."""
        self._command(("close",))
        self._thread.join()

    def _command(self, command: tuple) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the stream hub is closed")
            self._commands.append(command)
            if command[0] == "close":
                self._closed = True
        try:
            self._wake_w.send(b"x")
        except BlockingIOError:  # the wake-up pipe is full: the hub is awake already
            pass

    # -- the hub's thread --------------------------------------------------------------------
    def _run(self) -> None:
        select = self._selector.select
        while True:
            expiry = self._next_expiry
            ready = select(None if expiry is None else max(0.0, expiry - time.monotonic()))
            for key, _ in ready:
                stream = key.data
                if stream is None:
                    if not self._take_commands():
                        return
                elif stream in self._streams:
                    self._read(stream)
            if self._next_expiry is not None and time.monotonic() >= self._next_expiry:
                self._expire()

    def _take_commands(self) -> bool:
        """Apply queued commands; False once the hub is closed (and its resources released)."""
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass
        with self._lock:
            commands, self._commands = self._commands, []
        for command in commands:
            if command[0] == "attach":
                self._start(command[1])
            elif command[0] == "cancel":
                if command[1] in self._streams:
                    self._finish(command[1], None)
            else:
                for stream in list(self._streams):
                    self._finish(stream, StreamEnded("the stream hub was closed"))
                self._selector.close()
                self._wake_r.close()
                self._wake_w.close()
                return False
        return True

    def _start(self, stream: Stream) -> None:
        self._streams.add(stream)
        try:
            self._selector.register(stream.sock, selectors.EVENT_READ, stream)
        except (ValueError, OSError) as exc:  # closed meanwhile (stop() won a race): nothing to read
            self._finish(stream, exc)
            return
        expiry = stream.last_read + stream.read_timeout
        if self._next_expiry is None or expiry < self._next_expiry:
            self._next_expiry = expiry
        leftover, stream.leftover = stream.leftover, b""
        if leftover:
            self._deliver(stream, leftover)
        if stream in self._streams:
            self._read(stream)  # TLS may hold decrypted bytes that the selector cannot see

    def _read(self, stream: Stream) -> None:
        """Read what arrived (up to about READ_SIZE, so one busy stream cannot starve the rest).

        TLS gives one record (16 KB at most) per read, and keeps what it decrypted out of the
        selector's sight, so a TLS stream is read until it would block; a plain one until a read
        comes back short, which means the kernel's buffer is drained."""
        recv = stream.sock.recv
        parts = []
        size = 0
        eof = False
        try:
            while size < READ_SIZE:
                data = recv(READ_SIZE)
                if not data:
                    eof = True
                    break
                parts.append(data)
                size += len(data)
                if not stream.tls and len(data) < READ_SIZE:
                    break
        except _WOULD_BLOCK:
            pass
        except OSError as exc:
            self._finish(stream, exc)
            return
        if parts:
            stream.last_read = time.monotonic()
            self._deliver(stream, parts[0] if len(parts) == 1 else b"".join(parts))
        if eof and stream in self._streams:
            self._finish(stream, StreamEnded("the server closed the watch connection mid-stream"))

    def _deliver(self, stream: Stream, data: bytes) -> None:
        try:
            payload = stream.chunks.feed(data)
            if payload:
                stream.consume(payload)
        except Exception as exc:  # bad framing, bad JSON, an ERROR event: the stream's loop decides
            self._finish(stream, exc)
            return
        if stream.chunks.done:
            self._finish(stream, None)

    def _expire(self) -> None:
        """Fail streams silent for longer than their read timeout; note when the next one could."""
        now = time.monotonic()
        earliest = None
        for stream in list(self._streams):
            expiry = stream.last_read + stream.read_timeout
            if expiry <= now:
                self._finish(stream, TimeoutError(f"no data for {stream.read_timeout:g} s: read timed out"))
            elif earliest is None or expiry < earliest:
                earliest = expiry
        self._next_expiry = earliest

    def _finish(self, stream: Stream, error: BaseException | None) -> None:
        self._streams.discard(stream)
        try:
            self._selector.unregister(stream.sock)
        except (KeyError, ValueError):  # never registered
            pass
        try:
            stream.response.close()  # we parsed the framing ourselves: the connection cannot be reused
        except OSError:
            pass
        stream.error = error
        stream.done.set()


def _socket_of(response: Any) -> socket.socket | None:
    """The socket under a chunked, uncoded urllib3 response (an SSLSocket for https)."""
    if not response.chunked or response.headers.get("content-encoding", "identity") != "identity":
        return None
    sock = getattr(getattr(response, "_connection", None), "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _buffered(response: Any) -> bytes:
    """Body bytes that http.client's reader already took from the (now non-blocking) socket.

    `read1` returns its buffer when that holds anything, without touching the socket; otherwise it
    tries one read, which now cannot block. Nothing here may also mean EOF or a broken connection:
    the socket says so again when the hub reads it."""
    try:
        return response._fp.fp.read1(READ_SIZE) or b""
    except OSError:  # includes "would block" and TLS's want-read
        return b""


_shared: StreamHub | None = None
_shared_lock = threading.Lock()


def shared_hub() -> StreamHub:
    """The process's hub, started on first use: one reader thread however many clusters."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = StreamHub()
        return _shared
