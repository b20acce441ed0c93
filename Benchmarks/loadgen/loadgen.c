/*
 * loadgen: the load generator of net-bench, one libuv loop in C.
 *
 * The same client drives every echo server, and it is at least as lean as the
 * leanest server: static send buffers, one shared read buffer, write requests
 * preallocated per connection, no allocation on the hot path.
 *
 *   loadgen --scenario stream|pingpong|connect|idle
 *           (--host H --port N | --path P)
 *           [--connections N] [--duration S] [--warmup S]
 *           [--size BYTES] [--chunk BYTES] [--window BYTES]
 *           [--count N] [--concurrency N] [--timeout S]
 *
 * Scenarios:
 *   stream    N connections (default 4) write --chunk bytes (64 KiB) as long
 *             as at most --window bytes (1 MiB) are unechoed, and read the
 *             echo back; reports MiB/s echoed.
 *   pingpong  N connections (default 10) send a --size byte message (64) and
 *             wait for its whole echo before sending the next; reports round
 *             trips/s and latency percentiles.
 *   connect   N workers (default 8) each connect, echo 1 byte and close, over
 *             and over; reports connections/s and latency percentiles.
 *   idle      opens --count connections (10,000; at most --concurrency
 *             connects in flight), echoes 1 byte on each so the server has
 *             really accepted it, prints its result line and holds them until
 *             stdin closes or SIGINT/SIGTERM arrives.
 *
 * Output (stdout): for timed scenarios a line "start" when the warm-up ends
 * and the measured window begins, then one line "result key=value ..." when
 * the window ends (before the connections are torn down), so a driver can
 * sample the server's CPU time exactly around the window. Exit status is 0
 * when the run completed (even with errors, which the result line counts),
 * 1 when it could not produce a result.
 */
#include <uv.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "histogram.h"

enum scenario { STREAM, PINGPONG, CONNECT, IDLE };
enum phase { WARMUP, MEASURE, DONE };

#define PATTERN 251 /* stream bytes follow offset % PATTERN */
#define MAX_CHUNK (1 << 20)
#define MAX_MESSAGE 64

typedef struct client {
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  uv_connect_t connect_req;
  uv_write_t message_write;  /* pingpong, connect, idle: one write at a time */
  uv_write_t *stream_writes; /* stream: window / chunk requests */
  int *free_writes;          /* stream: indexes of idle stream_writes */
  int free_count;
  uint64_t sent;     /* stream: bytes queued; pingpong: messages sent */
  uint64_t received; /* bytes echoed back (stream) or of this message */
  uint64_t started;  /* uv_hrtime() when the message/connection started */
  unsigned char tag; /* pingpong: byte the current message is filled with */
  int connected;
  int alive;
} client_t;

/* Options. */
static enum scenario scenario;
static const char *scenario_name;
static const char *host = "127.0.0.1";
static int port = -1;
static const char *path;
static int connections = -1;
static double duration_s = 5.0, warmup_s = 1.0, timeout_s = 60.0;
static size_t message_size = 64, chunk_size = 65536, window_size = 1 << 20;
static int idle_count = 10000, idle_concurrency = 64;

/* State. */
static uv_loop_t *loop;
static struct sockaddr_storage address;
static client_t *clients;
static int client_count;
static enum phase phase = WARMUP;
static uv_timer_t phase_timer, deadline_timer;
static uv_signal_t sigint_handle, sigterm_handle;
static uv_pipe_t stdin_pipe;
static uv_tty_t stdin_tty;
static uv_handle_t *stdin_handle;
static char read_buffer[262144];
static char stream_source[MAX_CHUNK + PATTERN];
static char message_source[256][MAX_MESSAGE];
static int stream_write_count;
static histogram_t histogram;

/* Counters of the measured window (reset when the warm-up ends). */
static uint64_t window_start, window_end;
static uint64_t echoed_bytes, round_trips, completed_connections;
static uint64_t errors, corrupt;
static uv_rusage_t usage_start;
/* Idle scenario. */
static int idle_started, idle_ready;
static uint64_t idle_begin;

static void on_alloc(uv_handle_t *h, size_t s, uv_buf_t *buf) {
  (void)h;
  (void)s;
  *buf = uv_buf_init(read_buffer, sizeof read_buffer);
}

static void on_closed(uv_handle_t *handle);

/* Counts an error and closes the connection; a connect worker starts over. */
static void fail_client(client_t *c) {
  errors++;
  c->alive = 0;
  if (!uv_is_closing(&c->h.handle))
    uv_close(&c->h.handle, scenario == CONNECT ? on_closed : NULL);
}

static void on_connect(uv_connect_t *req, int status);

static int start_connection(client_t *c) {
  int err;
  c->connected = 0;
  c->alive = 1;
  c->sent = c->received = 0;
  c->started = uv_hrtime();
  c->h.handle.data = c;
  c->connect_req.data = c;
  if (path) {
    err = uv_pipe_init(loop, &c->h.pipe, 0);
    if (err == 0) {
      c->h.handle.data = c;
      uv_pipe_connect(&c->connect_req, &c->h.pipe, path, on_connect);
    }
  } else {
    err = uv_tcp_init(loop, &c->h.tcp);
    if (err == 0) {
      c->h.handle.data = c;
      err = uv_tcp_connect(&c->connect_req, &c->h.tcp,
                           (const struct sockaddr *)&address, on_connect);
      if (err < 0) uv_close(&c->h.handle, NULL);
    }
  }
  if (err < 0) {
    errors++;
    c->alive = 0;
  }
  return err;
}

/* ---- stream ---------------------------------------------------------- */

static void stream_pump(client_t *c);

static void stream_on_write(uv_write_t *req, int status) {
  client_t *c = req->data;
  c->free_writes[c->free_count++] = (int)(req - c->stream_writes);
  if (status < 0) {
    if (c->alive && phase != DONE) fail_client(c);
    return;
  }
  stream_pump(c);
}

static void stream_pump(client_t *c) {
  while (c->alive && phase != DONE && c->free_count > 0 &&
         c->sent - c->received + chunk_size <= window_size) {
    uv_write_t *req = &c->stream_writes[c->free_writes[--c->free_count]];
    req->data = c;
    uv_buf_t buf = uv_buf_init(stream_source + c->sent % PATTERN, (unsigned int)chunk_size);
    if (uv_write(req, &c->h.stream, &buf, 1, stream_on_write) < 0) {
      c->free_count++;
      fail_client(c);
      return;
    }
    c->sent += chunk_size;
  }
}

static void stream_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  client_t *c = s->data;
  if (nread == 0) return;
  if (nread < 0) {
    if (phase != DONE) fail_client(c);
    return;
  }
  /* Cheap integrity check: the first byte of each read. */
  if ((unsigned char)buf->base[0] != (unsigned char)stream_source[c->received % PATTERN])
    corrupt++;
  c->received += (uint64_t)nread;
  if (phase == MEASURE) echoed_bytes += (uint64_t)nread;
  stream_pump(c);
}

/* ---- ping-pong ------------------------------------------------------- */

static void send_message(client_t *c);

static void message_on_write(uv_write_t *req, int status) {
  client_t *c = req->data;
  if (status < 0 && c->alive && phase != DONE) fail_client(c);
}

static void send_message(client_t *c) {
  c->tag = (unsigned char)(c->sent++ & 255);
  c->received = 0;
  c->started = uv_hrtime();
  uv_buf_t buf = uv_buf_init(message_source[c->tag], (unsigned int)message_size);
  int n = uv_try_write(&c->h.stream, &buf, 1);
  if (n == (int)message_size) return;
  if (n < 0 && n != UV_EAGAIN) {
    fail_client(c);
    return;
  }
  if (n < 0) n = 0;
  buf.base += n;
  buf.len -= (size_t)n;
  c->message_write.data = c;
  if (uv_write(&c->message_write, &c->h.stream, &buf, 1, message_on_write) < 0)
    fail_client(c);
}

static void pingpong_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  client_t *c = s->data;
  if (nread == 0) return;
  if (nread < 0) {
    if (phase != DONE) fail_client(c);
    return;
  }
  if (c->received + (uint64_t)nread > message_size ||
      memcmp(buf->base, message_source[c->tag], (size_t)nread) != 0) {
    corrupt++;
    fail_client(c);
    return;
  }
  c->received += (uint64_t)nread;
  if (c->received < message_size) return;
  if (phase == MEASURE) {
    round_trips++;
    histogram_record(&histogram, uv_hrtime() - c->started);
  }
  if (phase != DONE) send_message(c);
}

/* ---- connect and idle ------------------------------------------------ */

static void idle_connect_more(void);

static void one_byte_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  client_t *c = s->data;
  (void)buf;
  if (nread == 0) return;
  if (nread < 0 || c->received) {
    if (phase != DONE) fail_client(c);
    if (scenario == IDLE) idle_connect_more();
    return;
  }
  c->received = 1;
  if (scenario == CONNECT) {
    if (phase == MEASURE) {
      completed_connections++;
      histogram_record(&histogram, uv_hrtime() - c->started);
    }
    uv_close(&c->h.handle, on_closed);
  } else {
    idle_ready++;
    idle_connect_more();
  }
}

static void on_closed(uv_handle_t *handle) {
  client_t *c = handle->data;
  if (phase != DONE) start_connection(c);
}

static void on_connect(uv_connect_t *req, int status) {
  client_t *c = req->data;
  if (status < 0) {
    if (phase != DONE) fail_client(c);
    if (scenario == IDLE) idle_connect_more();
    return;
  }
  c->connected = 1;
  if (!path) uv_tcp_nodelay(&c->h.tcp, 1);
  switch (scenario) {
  case STREAM:
    c->free_count = 0;
    for (int i = 0; i < stream_write_count; i++) c->free_writes[c->free_count++] = i;
    uv_read_start(&c->h.stream, on_alloc, stream_on_read);
    stream_pump(c);
    break;
  case PINGPONG:
    c->sent = 0;
    uv_read_start(&c->h.stream, on_alloc, pingpong_on_read);
    send_message(c);
    break;
  case CONNECT:
  case IDLE: {
    static char one = 'x';
    uv_buf_t buf = uv_buf_init(&one, 1);
    c->received = 0;
    uv_read_start(&c->h.stream, on_alloc, one_byte_on_read);
    if (uv_try_write(&c->h.stream, &buf, 1) != 1) {
      c->message_write.data = c;
      if (uv_write(&c->message_write, &c->h.stream, &buf, 1, message_on_write) < 0)
        fail_client(c);
    }
    break;
  }
  }
}

/* ---- phases and output ---------------------------------------------- */

static double seconds(uint64_t ns) { return (double)ns / 1e9; }

static double cpu_seconds(const uv_rusage_t *u) {
  return (double)u->ru_utime.tv_sec + u->ru_utime.tv_usec / 1e6 +
         (double)u->ru_stime.tv_sec + u->ru_stime.tv_usec / 1e6;
}

static void print_latency(void) {
  printf(" p50_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f",
         histogram_percentile(&histogram, 50.0) / 1e3,
         histogram_percentile(&histogram, 99.0) / 1e3,
         histogram_percentile(&histogram, 99.9) / 1e3,
         histogram_max(&histogram) / 1e3);
}

static void close_everything(void);

static void finish_window(void) {
  window_end = uv_hrtime();
  uv_rusage_t usage_end;
  uv_getrusage(&usage_end);
  double elapsed = seconds(window_end - window_start);
  double client_cpu = cpu_seconds(&usage_end) - cpu_seconds(&usage_start);
  printf("result scenario=%s transport=%s connections=%d duration_s=%.4f",
         scenario_name, path ? "unix" : "tcp", client_count, elapsed);
  switch (scenario) {
  case STREAM:
    printf(" bytes=%llu mib_per_s=%.2f", (unsigned long long)echoed_bytes,
           echoed_bytes / 1048576.0 / elapsed);
    break;
  case PINGPONG:
    printf(" size=%zu round_trips=%llu rtt_per_s=%.1f", message_size,
           (unsigned long long)round_trips, round_trips / elapsed);
    print_latency();
    break;
  case CONNECT:
    printf(" completed=%llu conn_per_s=%.1f", (unsigned long long)completed_connections,
           completed_connections / elapsed);
    print_latency();
    break;
  case IDLE:
    break;
  }
  printf(" client_cpu_pct=%.1f errors=%llu corrupt=%llu\n", 100.0 * client_cpu / elapsed,
         (unsigned long long)errors, (unsigned long long)corrupt);
  fflush(stdout);
}

static void on_phase_timer(uv_timer_t *t) {
  if (phase == WARMUP) {
    phase = MEASURE;
    echoed_bytes = round_trips = completed_connections = 0;
    errors = corrupt = 0;
    histogram_reset(&histogram);
    uv_getrusage(&usage_start);
    printf("start\n");
    fflush(stdout);
    window_start = uv_hrtime();
    uv_timer_start(t, on_phase_timer, (uint64_t)(duration_s * 1000), 0);
  } else if (phase == MEASURE) {
    finish_window();
    close_everything();
  }
}

static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void close_everything(void) {
  phase = DONE;
  uv_walk(loop, close_walk, NULL);
}

static void on_deadline(uv_timer_t *t) {
  (void)t;
  fprintf(stderr, "loadgen: no result within --timeout %.0f s\n", timeout_s);
  printf("result scenario=%s transport=%s timeout=1 errors=%llu ready=%d\n", scenario_name,
         path ? "unix" : "tcp", (unsigned long long)errors, idle_ready);
  fflush(stdout);
  exit(1);
}

static void on_stop_signal(uv_signal_t *h, int signum) {
  (void)h;
  (void)signum;
  close_everything();
}

static void on_stdin_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  (void)s;
  (void)buf;
  if (nread < 0) close_everything(); /* EOF: the driver is done measuring */
}

static void idle_connect_more(void) {
  while (phase != DONE && idle_started < client_count &&
         idle_started - idle_ready - (int)errors < idle_concurrency) {
    start_connection(&clients[idle_started++]);
  }
  if (phase == DONE || idle_ready + (int)errors < client_count || window_start) return;
  window_start = uv_hrtime();
  uv_timer_stop(&deadline_timer);
  printf("result scenario=idle transport=%s connections=%d ready=%d setup_s=%.3f "
         "errors=%llu corrupt=%llu\n",
         path ? "unix" : "tcp", client_count, idle_ready, seconds(window_start - idle_begin),
         (unsigned long long)errors, (unsigned long long)corrupt);
  fflush(stdout);
  /* Hold the connections until stdin closes or a signal arrives. */
  uv_handle_type type = uv_guess_handle(0);
  if (type == UV_NAMED_PIPE && uv_pipe_init(loop, &stdin_pipe, 0) == 0 &&
      uv_pipe_open(&stdin_pipe, 0) == 0) {
    stdin_handle = (uv_handle_t *)&stdin_pipe;
  } else if (type == UV_TTY && uv_tty_init(loop, &stdin_tty, 0, 1) == 0) {
    stdin_handle = (uv_handle_t *)&stdin_tty;
  }
  if (stdin_handle) uv_read_start((uv_stream_t *)stdin_handle, on_alloc, on_stdin_read);
}

/* ---- options --------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --scenario stream|pingpong|connect|idle (--host H --port N | --path P)\n"
          "               [--connections N] [--duration S] [--warmup S] [--size B]\n"
          "               [--chunk B] [--window B] [--count N] [--concurrency N] [--timeout S]\n");
  exit(2);
}

static void parse(int argc, char **argv) {
  for (int i = 1; i < argc; i += 2) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (!strcmp(k, "--scenario")) scenario_name = v;
    else if (!strcmp(k, "--host")) host = v;
    else if (!strcmp(k, "--port")) port = atoi(v);
    else if (!strcmp(k, "--path")) path = v;
    else if (!strcmp(k, "--connections")) connections = atoi(v);
    else if (!strcmp(k, "--duration")) duration_s = atof(v);
    else if (!strcmp(k, "--warmup")) warmup_s = atof(v);
    else if (!strcmp(k, "--timeout")) timeout_s = atof(v);
    else if (!strcmp(k, "--size")) message_size = (size_t)atol(v);
    else if (!strcmp(k, "--chunk")) chunk_size = (size_t)atol(v);
    else if (!strcmp(k, "--window")) window_size = (size_t)atol(v);
    else if (!strcmp(k, "--count")) idle_count = atoi(v);
    else if (!strcmp(k, "--concurrency")) idle_concurrency = atoi(v);
    else usage();
  }
  if (!scenario_name) usage();
  if (!strcmp(scenario_name, "stream")) scenario = STREAM;
  else if (!strcmp(scenario_name, "pingpong")) scenario = PINGPONG;
  else if (!strcmp(scenario_name, "connect")) scenario = CONNECT;
  else if (!strcmp(scenario_name, "idle")) scenario = IDLE;
  else usage();
  if (!path && port <= 0) usage();
  if (message_size < 1 || message_size > MAX_MESSAGE) {
    fprintf(stderr, "loadgen: --size must be 1...64\n");
    exit(2);
  }
  if (chunk_size < 1 || chunk_size > MAX_CHUNK || window_size < chunk_size) {
    fprintf(stderr, "loadgen: need 1 <= --chunk <= %d and --window >= --chunk\n", MAX_CHUNK);
    exit(2);
  }
  if (duration_s <= 0 || warmup_s < 0) usage();
}

static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int main(int argc, char **argv) {
  parse(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  loop = uv_default_loop();
  if (!path) {
    int err = uv_ip4_addr(host, port, (struct sockaddr_in *)&address);
    if (err) err = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&address);
    if (err) {
      fprintf(stderr, "loadgen: bad host %s\n", host);
      return 2;
    }
  }
  for (size_t i = 0; i < sizeof stream_source; i++) stream_source[i] = (char)(i % PATTERN);
  for (int t = 0; t < 256; t++) memset(message_source[t], t, sizeof message_source[t]);
  histogram_reset(&histogram);

  switch (scenario) {
  case STREAM: client_count = connections > 0 ? connections : 4; break;
  case PINGPONG: client_count = connections > 0 ? connections : 10; break;
  case CONNECT: client_count = connections > 0 ? connections : 8; break;
  case IDLE: client_count = idle_count; break;
  }
  if (scenario == IDLE) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)client_count + 32 > rl.rlim_cur) {
      fprintf(stderr, "loadgen: RLIMIT_NOFILE %llu is too low for %d connections\n",
              (unsigned long long)rl.rlim_cur, client_count);
      return 1;
    }
  }
  clients = calloc((size_t)client_count, sizeof *clients);
  if (!clients) return 1;
  if (scenario == STREAM) {
    stream_write_count = (int)(window_size / chunk_size);
    for (int i = 0; i < client_count; i++) {
      clients[i].stream_writes = calloc((size_t)stream_write_count, sizeof(uv_write_t));
      clients[i].free_writes = calloc((size_t)stream_write_count, sizeof(int));
      if (!clients[i].stream_writes || !clients[i].free_writes) return 1;
    }
  }

  uv_signal_init(loop, &sigint_handle);
  uv_signal_start(&sigint_handle, on_stop_signal, SIGINT);
  uv_signal_init(loop, &sigterm_handle);
  uv_signal_start(&sigterm_handle, on_stop_signal, SIGTERM);
  uv_timer_init(loop, &deadline_timer);

  if (scenario == IDLE) {
    phase = MEASURE;
    idle_begin = uv_hrtime();
    uv_timer_start(&deadline_timer, on_deadline, (uint64_t)(timeout_s * 1000), 0);
    idle_connect_more();
  } else {
    uv_timer_init(loop, &phase_timer);
    uv_timer_start(&phase_timer, on_phase_timer, (uint64_t)(warmup_s * 1000), 0);
    uv_timer_start(&deadline_timer, on_deadline,
                   (uint64_t)((warmup_s + duration_s + timeout_s) * 1000), 0);
    uv_unref((uv_handle_t *)&deadline_timer);
    for (int i = 0; i < client_count; i++) start_connection(&clients[i]);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
