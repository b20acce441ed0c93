/*
 * uv-echo: a raw libuv echo server, the C baseline for net-bench.
 *
 * Written the way a careful C programmer would, so it marks the practical
 * limit for an echo server on one libuv loop:
 *   - one 64 KiB read buffer per loop, reused for every read (safe: libuv
 *     calls alloc_cb, read() and read_cb synchronously for one stream);
 *   - every read is echoed with uv_try_write first; only the unsent tail is
 *     copied into a per-connection buffer (allocated once, on the first
 *     partial write) and queued with uv_write, and reading stops until that
 *     write completes (backpressure, at most one queued write per connection);
 *   - the write request lives inside the connection, so the steady state
 *     allocates nothing; a connection costs one malloc (plus the tail buffer
 *     if it ever needs one);
 *   - TCP_NODELAY on every accepted TCP connection.
 *
 * With --http it is instead the C floor of the benchmark's http row: an HTTP/1.1
 * keep-alive responder that answers every request head (up to its blank line;
 * the requests have no body) with the same prebuilt 200 response, the way
 * net-echo --http and node-echo.js --http do. The end of a head is found with
 * memchr and a four-state match that survives a head split across reads, so
 * nothing is buffered; the responses to the heads of one read go out in one
 * uv_try_write with a buffer each (the tail, if any, as in the echo).
 *
 * Contract shared by all echo servers of the benchmark:
 *   uv-echo [--port N] [--host H] [--path P] [--http]
 * prints exactly one line "listening HOST:PORT" (or "listening PATH") once
 * bound, and exits 0 on SIGINT/SIGTERM, removing its socket file.
 */
#include <uv.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BUFFER_SIZE 65536
/* Same backlog as Node's net.Server, so connection bursts compare fairly. */
#define LISTEN_BACKLOG 511

typedef struct connection {
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  uv_write_t write_req;
  char *tail; /* READ_BUFFER_SIZE bytes, allocated on the first partial write */
  int matched; /* --http: bytes of "\r\n\r\n" matched at the end of the last read */
  unsigned int owed; /* --http: requests read but not answered yet (behind a queued write) */
} connection_t;

/* --http: the one response, and at most this many answered per write call. */
static const char response[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, world!";
#define MAX_RESPONSES 64
static int http_mode;

static uv_loop_t *loop;
static union {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} server;
static uv_signal_t sigint_handle, sigterm_handle;
static const char *socket_path;
static char read_buffer[READ_BUFFER_SIZE];

static void die(const char *what, int err) {
  fprintf(stderr, "uv-echo: %s: %s\n", what, uv_strerror(err));
  if (socket_path) unlink(socket_path);
  exit(1);
}

static void on_close(uv_handle_t *handle) {
  connection_t *conn = handle->data;
  free(conn->tail);
  free(conn);
}

static void close_connection(connection_t *conn) {
  if (!uv_is_closing(&conn->h.handle)) uv_close(&conn->h.handle, on_close);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(read_buffer, sizeof read_buffer);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static int answer(connection_t *conn);

static void on_write(uv_write_t *req, int status) {
  connection_t *conn = req->data;
  if (status < 0) {
    close_connection(conn);
    return;
  }
  if (http_mode && answer(conn)) return; /* queued again: wait for that write */
  int err = uv_read_start(&conn->h.stream, on_alloc, on_read);
  if (err < 0) close_connection(conn);
}

/* Writes `count` buffers of `total` bytes: at once if the kernel takes them (returns 0), else
 * the unsent tail is copied and queued, and reading stops until it is out (returns 1; also when
 * the connection had to be closed). */
static int send_buffers(connection_t *conn, uv_buf_t *bufs, unsigned int count, size_t total) {
  uv_stream_t *stream = &conn->h.stream;
  int written = uv_try_write(stream, bufs, count);
  if (written >= 0 && (size_t)written == total) return 0;
  if (written < 0) {
    if (written != UV_EAGAIN) {
      close_connection(conn);
      return 1;
    }
    written = 0;
  }
  size_t rest = total - (size_t)written;
  if (conn->tail == NULL) {
    conn->tail = malloc(READ_BUFFER_SIZE);
    if (conn->tail == NULL || rest > READ_BUFFER_SIZE) {
      close_connection(conn);
      return 1;
    }
  }
  /* Copy what the kernel did not take, buffer by buffer, skipping the `written` bytes it did. */
  size_t skip = (size_t)written, at = 0;
  for (unsigned int i = 0; i < count; i++) {
    size_t len = bufs[i].len;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    memcpy(conn->tail + at, bufs[i].base + skip, len - skip);
    at += len - skip;
    skip = 0;
  }
  uv_buf_t tail = uv_buf_init(conn->tail, (unsigned int)rest);
  conn->write_req.data = conn;
  if (uv_write(&conn->write_req, stream, &tail, 1, on_write) < 0) {
    close_connection(conn);
    return 1;
  }
  uv_read_stop(stream);
  return 1;
}

/* --http: counts the request heads a read completes, carrying a partial terminator over. */
static unsigned int count_heads(connection_t *conn, const char *p, size_t n) {
  static const char end[4] = {'\r', '\n', '\r', '\n'};
  unsigned int heads = 0;
  int m = conn->matched;
  const char *stop = p + n;
  while (p < stop) {
    if (m == 0) {
      const char *cr = memchr(p, '\r', (size_t)(stop - p));
      if (cr == NULL) break;
      p = cr + 1;
      m = 1;
      continue;
    }
    if (*p == end[m]) {
      if (++m == 4) {
        heads++;
        m = 0;
      }
    } else {
      m = *p == '\r' ? 1 : 0;
    }
    p++;
  }
  conn->matched = m;
  return heads;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  connection_t *conn = stream->data;
  if (nread == 0) return; /* EAGAIN: nothing to do */
  if (nread < 0) {        /* UV_EOF or an error: nothing is queued, close */
    close_connection(conn);
    return;
  }
  if (!http_mode) {
    uv_buf_t data = uv_buf_init(buf->base, (unsigned int)nread);
    (void)send_buffers(conn, &data, 1, (size_t)nread);
    return;
  }
  conn->owed += count_heads(conn, buf->base, (size_t)nread);
  answer(conn);
}

/* --http: answers the owed requests; returns 1 when a write was queued (or the connection
 * closed), so the rest waits for its callback. */
static int answer(connection_t *conn) {
  uv_buf_t bufs[MAX_RESPONSES];
  while (conn->owed > 0) {
    unsigned int count = conn->owed < MAX_RESPONSES ? conn->owed : MAX_RESPONSES;
    for (unsigned int i = 0; i < count; i++) bufs[i] = uv_buf_init((char *)response, sizeof response - 1);
    conn->owed -= count;
    if (send_buffers(conn, bufs, count, count * (sizeof response - 1))) return 1;
  }
  return 0;
}

static void on_connection(uv_stream_t *listener, int status) {
  if (status < 0) return; /* e.g. EMFILE: keep serving the others */
  connection_t *conn = malloc(sizeof *conn);
  if (conn == NULL) return;
  conn->tail = NULL;
  conn->matched = 0;
  conn->owed = 0;
  int err = socket_path ? uv_pipe_init(loop, &conn->h.pipe, 0)
                        : uv_tcp_init(loop, &conn->h.tcp);
  if (err < 0) {
    free(conn);
    return;
  }
  conn->h.handle.data = conn;
  if (uv_accept(listener, &conn->h.stream) < 0) {
    close_connection(conn);
    return;
  }
  if (!socket_path) uv_tcp_nodelay(&conn->h.tcp, 1);
  if (uv_read_start(&conn->h.stream, on_alloc, on_read) < 0)
    close_connection(conn);
}

static void on_signal(uv_signal_t *handle, int signum) {
  (void)handle;
  (void)signum;
  if (socket_path) unlink(socket_path);
  exit(0);
}

static void usage(void) {
  fprintf(stderr, "usage: uv-echo [--port N] [--host H] [--path P] [--http]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--http") == 0) {
      http_mode = 1;
      continue;
    }
    if (i + 1 >= argc) usage();
    if (strcmp(argv[i], "--port") == 0) port = atoi(argv[++i]);
    else if (strcmp(argv[i], "--host") == 0) host = argv[++i];
    else if (strcmp(argv[i], "--path") == 0) socket_path = argv[++i];
    else usage();
  }
  signal(SIGPIPE, SIG_IGN);
  loop = uv_default_loop();
  uv_signal_init(loop, &sigint_handle);
  uv_signal_start(&sigint_handle, on_signal, SIGINT);
  uv_signal_init(loop, &sigterm_handle);
  uv_signal_start(&sigterm_handle, on_signal, SIGTERM);

  int err;
  if (socket_path) {
    if ((err = uv_pipe_init(loop, &server.pipe, 0)) < 0) die("pipe_init", err);
    if ((err = uv_pipe_bind(&server.pipe, socket_path)) < 0) die("bind", err);
  } else {
    struct sockaddr_storage addr;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0 &&
        (err = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)) != 0)
      die("address", err);
    if ((err = uv_tcp_init(loop, &server.tcp)) < 0) die("tcp_init", err);
    if ((err = uv_tcp_bind(&server.tcp, (struct sockaddr *)&addr, 0)) < 0)
      die("bind", err);
  }
  if ((err = uv_listen(&server.stream, LISTEN_BACKLOG, on_connection)) < 0)
    die("listen", err);

  if (socket_path) {
    printf("listening %s\n", socket_path);
  } else {
    struct sockaddr_storage bound;
    int len = sizeof bound;
    char name[64] = "";
    if ((err = uv_tcp_getsockname(&server.tcp, (struct sockaddr *)&bound, &len)) < 0)
      die("getsockname", err);
    if (bound.ss_family == AF_INET6) {
      struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&bound;
      uv_ip6_name(a6, name, sizeof name);
      printf("listening %s:%d\n", name, ntohs(a6->sin6_port));
    } else {
      struct sockaddr_in *a4 = (struct sockaddr_in *)&bound;
      uv_ip4_name(a4, name, sizeof name);
      printf("listening %s:%d\n", name, ntohs(a4->sin_port));
    }
  }
  fflush(stdout);
  return uv_run(loop, UV_RUN_DEFAULT);
}
