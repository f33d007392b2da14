// The load generator in C: the same configuration, stdin/stdout protocol and
// reports as bench/load_gen_node.mjs (LoadConfig in bench/load_gen.ts), for
// modes "text", "native" and "irc" over plain TCP ("web" and TLS stay with
// the Node generator). One process, one level-triggered epoll loop,
// non-blocking sockets, one shared read buffer, nothing allocated per read:
// a delivery costs the generator the read() that carries it and a scan of
// its bytes, the same for every server, so the tail measured is the
// server's, not a runtime's event loop or garbage collector.
//
// Latency clock: CLOCK_MONOTONIC in milliseconds with three decimals,
// written into each message as the Node generator writes it
// (process.hrtime is CLOCK_MONOTONIC too), so C and Node processes time
// each other's messages.
//
// Build (bench/drive.ts does it on first use, into bench/results/):
//   cc -O2 -Wall -Wextra -o bench/results/load_gen_c bench/load_gen_c.c
// Usage: bench/results/load_gen_c '<LoadConfig JSON>'

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define QUIET_MS 3000.0
#define BUCKET_MS 0.05
#define BUCKETS 40000
#define READ_BUFFER (64 * 1024)
#define HANDSHAKE_KEEP 4096
#define FLOOD_CHUNK 100
/** Flood chunks one sender writes per turn of the loop before the readers get theirs. */
#define FLOOD_CHUNKS_PER_TURN 4
#define MAX_SERIES 100000

enum mode { MODE_TEXT, MODE_NATIVE, MODE_IRC };

/** LoadConfig, the fields this generator uses. */
static struct {
  int port;
  enum mode mode;
  char channel[256];
  int join;
  int handshake_nick;
  /** handshake "greeting": in at the server's first line (ncat, the reference relays). */
  int handshake_greeting;
  /** handshake "hello": a nick line first, then in at the server's first line (relays' --hello). */
  int handshake_hello;
  char prefix[64];
  long clients, senders, stalled;
  int has_per_sender;
  long per_sender;
  double rate, seconds;
  int latency;
  long payload_bytes;
  long expect_per_reader;
  int echo;
  double timeout_ms, connect_timeout_ms;
  long connect_batch;
} config = {.join = 1, .connect_batch = 100, .channel = "#lobby"};

/** A growable byte buffer: a client's unsent bytes, or the start of a line split across reads. */
struct bytes {
  char *data;
  size_t len, off, cap;
};

struct client {
  int fd;
  int index;
  unsigned connecting : 1, welcomed : 1, join_sent : 1, closed : 1, stalled : 1, want_out : 1,
    in_epoll : 1, draining : 1;
  long received;
  long expected;
  /** Flood: the next message number, and whether every message was handed to the kernel. */
  long next_seq;
  int sender;
  struct bytes out;
  struct bytes partial;
  struct bytes handshake;
};

static struct client *clients;
static long total;
static int epfd;
static int timer_fd = -1;
static char shared[READ_BUFFER];
static uint32_t counts[BUCKETS + 1];
static long measured;
static double last_delivery;
static long done_readers;
static long reader_count;
static int counting; // expected counts set (after every client is in)
static int measuring;
static double go_at;
/** Per second after "go": deliveries, max latency ms, deliveries over 10 ms. */
static struct {
  long n;
  double max;
  long over10;
} series[MAX_SERIES];
static long series_len;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("load_gen_c: Error: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

// ---- configuration: one flat JSON object --------------------------------------------------

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

/** A JSON string at `p` (after its quote) into `out`; returns the position after the closing quote. */
static const char *parse_string(const char *p, char *out, size_t size) {
  size_t n = 0;
  while (*p && *p != '"') {
    char c = *p++;
    if (c == '\\') {
      c = *p++;
      switch (c) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'u': {
        unsigned code = 0;
        for (int i = 0; i < 4 && *p; i++, p++) {
          code = code * 16 + (unsigned)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
        }
        c = code < 0x80 ? (char)code : '?';
        break;
      }
      case '\0': fail("unterminated string in the configuration");
      default: break; // \" \\ \/
      }
    }
    if (n + 1 < size) out[n++] = c;
  }
  if (*p != '"') fail("unterminated string in the configuration");
  out[n] = '\0';
  return p + 1;
}

static void set_field(const char *key, const char *string, double number, int is_string) {
#define NUM(name, field) \
  if (strcmp(key, name) == 0) { \
    if (is_string) fail("\"%s\" must be a number", name); \
    field = number; \
    return; \
  }
  if (strcmp(key, "mode") == 0) {
    if (strcmp(string, "text") == 0) config.mode = MODE_TEXT;
    else if (strcmp(string, "native") == 0) config.mode = MODE_NATIVE;
    else if (strcmp(string, "irc") == 0) config.mode = MODE_IRC;
    else fail("mode \"%s\" needs the Node load generator (--generator node)", string);
    return;
  }
  if (strcmp(key, "handshake") == 0) {
    config.handshake_nick = strcmp(string, "nick") == 0;
    config.handshake_greeting = strcmp(string, "greeting") == 0;
    config.handshake_hello = strcmp(string, "hello") == 0;
    return;
  }
  if (strcmp(key, "channel") == 0) {
    snprintf(config.channel, sizeof config.channel, "%s", string);
    return;
  }
  if (strcmp(key, "prefix") == 0) {
    snprintf(config.prefix, sizeof config.prefix, "%s", string);
    return;
  }
  if (strcmp(key, "tls") == 0) {
    if (number != 0) fail("TLS needs the Node load generator (--generator node)");
    return;
  }
  if (strcmp(key, "perSender") == 0) {
    config.has_per_sender = 1;
    config.per_sender = (long)number;
    return;
  }
  NUM("port", config.port)
  NUM("join", config.join)
  NUM("clients", config.clients)
  NUM("senders", config.senders)
  NUM("stalled", config.stalled)
  NUM("rate", config.rate)
  NUM("seconds", config.seconds)
  NUM("latency", config.latency)
  NUM("payloadBytes", config.payload_bytes)
  NUM("expectPerReader", config.expect_per_reader)
  NUM("echo", config.echo)
  NUM("timeoutMs", config.timeout_ms)
  NUM("connectTimeoutMs", config.connect_timeout_ms)
  NUM("connectBatch", config.connect_batch)
#undef NUM
  // Anything else is not this generator's business.
}

static void parse_config(const char *json) {
  static char key[128], string[4096];
  const char *p = skip_ws(json);
  if (*p++ != '{') fail("the configuration is not a JSON object");
  p = skip_ws(p);
  if (*p == '}') return;
  for (;;) {
    p = skip_ws(p);
    if (*p++ != '"') fail("expected a key in the configuration at \"%.20s\"", p - 1);
    p = parse_string(p, key, sizeof key);
    p = skip_ws(p);
    if (*p++ != ':') fail("expected ':' after \"%s\"", key);
    p = skip_ws(p);
    if (*p == '"') {
      p = parse_string(p + 1, string, sizeof string);
      set_field(key, string, 0, 1);
    } else if (strncmp(p, "true", 4) == 0) {
      p += 4;
      set_field(key, "", 1, 0);
    } else if (strncmp(p, "false", 5) == 0) {
      p += 5;
      set_field(key, "", 0, 0);
    } else if (strncmp(p, "null", 4) == 0) {
      p += 4;
    } else {
      char *end;
      double number = strtod(p, &end);
      if (end == p) fail("\"%s\" has a value this generator cannot read: \"%.20s\"", key, p);
      p = end;
      set_field(key, "", number, 0);
    }
    p = skip_ws(p);
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == '}') return;
    fail("expected ',' or '}' in the configuration at \"%.20s\"", p);
  }
}

// ---- buffers and epoll ----------------------------------------------------------------------

static void bytes_append(struct bytes *b, const char *data, size_t n) {
  if (b->off > 0 && b->off == b->len) b->off = b->len = 0;
  if (b->len + n > b->cap) {
    if (b->off > 0) {
      memmove(b->data, b->data + b->off, b->len - b->off);
      b->len -= b->off;
      b->off = 0;
    }
    if (b->len + n > b->cap) {
      size_t cap = b->cap ? b->cap : 256;
      while (cap < b->len + n) cap *= 2;
      b->data = realloc(b->data, cap);
      if (!b->data) fail("out of memory");
      b->cap = cap;
    }
  }
  memcpy(b->data + b->len, data, n);
  b->len += n;
}

static void bytes_free(struct bytes *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->off = b->cap = 0;
}

/** The events a client waits for: reads unless stalled, writes while something is unsent. */
static void update_events(struct client *c) {
  if (c->closed) return;
  struct epoll_event event = {.data.ptr = c};
  if (!c->stalled || c->connecting || c->draining) event.events |= EPOLLIN;
  if (c->connecting || c->want_out || c->out.len > c->out.off) event.events |= EPOLLOUT;
  epoll_ctl(epfd, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &event);
  c->in_epoll = 1;
}

static void close_client(struct client *c) {
  if (c->closed) return;
  c->closed = 1;
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  bytes_free(&c->out);
  bytes_free(&c->partial);
  bytes_free(&c->handshake);
}

/** A connection lost: during the handshake that ends the run, as it does the Node generator's. */
static void lost(struct client *c, const char *why) {
  if (!c->welcomed) fail("connection %d: %s", c->index, why);
  close_client(c);
}

/** Writes what the kernel takes now; the rest waits for EPOLLOUT. */
static void flush_out(struct client *c) {
  while (c->out.len > c->out.off) {
    ssize_t n = send(c->fd, c->out.data + c->out.off, c->out.len - c->out.off, MSG_NOSIGNAL);
    if (n > 0) {
      c->out.off += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      break;
    } else {
      lost(c, strerror(errno));
      return;
    }
  }
  if (c->out.off == c->out.len) c->out.off = c->out.len = 0;
}

static void send_bytes(struct client *c, const char *data, size_t n) {
  if (c->closed) return;
  int was_waiting = c->out.len > c->out.off;
  bytes_append(&c->out, data, n);
  if (was_waiting) return;
  flush_out(c);
  if (!c->closed && c->out.len > c->out.off) update_events(c);
}

// ---- messages -------------------------------------------------------------------------------

static char *padding;
static char *chunk;
static size_t chunk_cap;

/** One message line as the Node generator writes it, at `out`; its length. */
static size_t message_line(char *out, int sender, long seq) {
  char text[96];
  int n = snprintf(text, sizeof text, "M %d %ld %.3f ", sender, seq, now_ms());
  switch (config.mode) {
  case MODE_IRC:
    return (size_t)sprintf(out, "PRIVMSG %s :%s%s\r\n", config.channel, text, padding);
  case MODE_NATIVE:
    return (size_t)sprintf(out, "{\"type\":\"msg\",\"text\":\"%s%s\"}\n", text, padding);
  default:
    memcpy(out, text, (size_t)n);
    memcpy(out + n, padding, (size_t)config.payload_bytes);
    out[n + config.payload_bytes] = '\n';
    return (size_t)n + (size_t)config.payload_bytes + 1;
  }
}

static long own_messages(void) {
  if (config.has_per_sender) return config.per_sender;
  return lround(config.rate * config.seconds / (double)config.senders);
}

// ---- reading --------------------------------------------------------------------------------

static void all_done_check(void);

/** Reads "<sender> <seq> <sent-at>" after a marker and records the latency. */
static void record(const char *buf, size_t from, size_t end) {
  int field = 0;
  size_t i = from;
  while (i < end && field < 2)
    if (buf[i++] == ' ') field++;
  double value = 0, scale = 0;
  for (; i < end; i++) {
    char c = buf[i];
    if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      if (scale) scale *= 10;
    } else if (c == '.' && !scale) {
      scale = 1;
    } else {
      break;
    }
  }
  if (value <= 0) return;
  double sent_at = scale ? value / scale : value;
  double latency = last_delivery - sent_at;
  double b = floor(latency / BUCKET_MS);
  long bucket = b < 0 ? 0 : b > BUCKETS ? BUCKETS : (long)b;
  counts[bucket]++;
  measured++;
  if (go_at > 0) {
    long second = (long)floor((last_delivery - go_at) / 1000);
    if (second >= 0 && second < MAX_SERIES) {
      if (second >= series_len) series_len = second + 1;
      series[second].n++;
      if (latency > series[second].max) series[second].max = latency;
      if (latency > 10) series[second].over10++;
    }
  }
}

/** One complete line (without its newline): an IRC PING is answered, message markers counted. */
static void on_line(struct client *c, const char *buf, size_t start, size_t end) {
  if (config.mode == MODE_IRC && end - start >= 5 && memcmp(buf + start, "PING ", 5) == 0) {
    size_t a = start + 5, z = end;
    while (a < z && (buf[a] == ' ' || buf[a] == '\r' || buf[a] == '\t')) a++;
    while (z > a && (buf[z - 1] == ' ' || buf[z - 1] == '\r' || buf[z - 1] == '\t')) z--;
    char pong[600];
    int n = snprintf(pong, sizeof pong, "PONG %.*s\r\n", (int)(z - a > 500 ? 500 : z - a),
                     buf + a);
    send_bytes(c, pong, (size_t)n);
    return;
  }
  // Every "M <digit>" in the line: ncat can put two messages on one line.
  const char *p = memchr(buf + start, 'M', end - start);
  while (p) {
    size_t i = (size_t)(p - buf);
    if (i + 2 >= end) break;
    if (buf[i + 1] == ' ' && buf[i + 2] >= '0' && buf[i + 2] <= '9') {
      last_delivery = now_ms();
      if (++c->received == c->expected && counting && ++done_readers == reader_count) {
        all_done_check();
      }
      if (measuring) record(buf, i + 2, end);
    }
    p = memchr(buf + i + 1, 'M', end - i - 1);
  }
}

/** Whether the handshake text says the client is in (the welcome, or the IRC numerics). */
static int welcomed_by(const char *text, size_t n) {
  if ((config.handshake_greeting || config.handshake_hello) && config.mode == MODE_TEXT) {
    return memchr(text, '\n', n) != NULL;
  }
  if (config.mode == MODE_IRC && !config.join) {
    return memmem(text, n, " 376 ", 5) != NULL || memmem(text, n, " 422 ", 5) != NULL;
  }
  if (config.mode == MODE_IRC) {
    size_t channel_len = strlen(config.channel);
    const char *p = text, *end = text + n;
    while ((p = memmem(p, (size_t)(end - p), " 366 ", 5)) != NULL) {
      const char *q = p + 5;
      const char *nick = q;
      while (q < end && *q != ' ' && *q != '\t' && *q != '\r' && *q != '\n') q++;
      if (q > nick && q < end && *q == ' ' && (size_t)(end - q) > channel_len + 1 &&
          strncasecmp(q + 1, config.channel, channel_len) == 0 && q[1 + channel_len] == ' ') {
        return 1;
      }
      p += 1;
    }
    return 0;
  }
  if (memmem(text, n, "\"welcome\"", 9)) return 1;
  const char *end = text + n;
  for (const char *p = text; (p = memmem(p, (size_t)(end - p), "Welcome to ", 11)) != NULL; p++) {
    for (const char *q = p + 11; q + 1 < end && *q != '\n' && *q != '\r'; q++) {
      if (q[0] == ',' && q[1] == ' ') return 1;
    }
  }
  return 0;
}

static void on_welcome(struct client *c);

/** Bytes `shared[0..n)` from `c`. */
static void feed(struct client *c, size_t n) {
  if (!c->welcomed) {
    bytes_append(&c->handshake, shared, n);
    struct bytes *h = &c->handshake;
    if (config.mode == MODE_IRC && config.join && !c->join_sent &&
        memmem(h->data, h->len, " 001 ", 5)) {
      // The JOIN only once registered: InspIRCd answers a JOIN pipelined with
      // the registration with 451.
      c->join_sent = 1;
      char join[300];
      int k = snprintf(join, sizeof join, "JOIN %s\r\n", config.channel);
      send_bytes(c, join, (size_t)k);
    }
    if (welcomed_by(h->data, h->len)) {
      bytes_free(h);
      on_welcome(c);
    } else if (h->len > HANDSHAKE_KEEP) {
      memmove(h->data, h->data + h->len - HANDSHAKE_KEEP, HANDSHAKE_KEEP);
      h->len = HANDSHAKE_KEEP;
    }
    return;
  }
  if (c->stalled) return;
  size_t start = 0;
  const char *nl;
  while ((nl = memchr(shared + start, '\n', n - start)) != NULL) {
    size_t at = (size_t)(nl - shared);
    if (c->partial.len > 0) {
      bytes_append(&c->partial, shared + start, at - start);
      on_line(c, c->partial.data, 0, c->partial.len);
      c->partial.len = c->partial.off = 0;
    } else {
      on_line(c, shared, start, at);
    }
    start = at + 1;
  }
  if (start < n) bytes_append(&c->partial, shared + start, n - start);
}

static void on_readable(struct client *c) {
  ssize_t n = read(c->fd, shared, sizeof shared);
  if (n > 0) {
    feed(c, (size_t)n);
  } else if (n == 0) {
    lost(c, "closed during the handshake");
  } else if (errno != EAGAIN && errno != EINTR) {
    lost(c, strerror(errno));
  }
}

// ---- connecting -----------------------------------------------------------------------------

static long welcomed_count;
static long batch_started; // clients whose connect was started
static long batch_end;     // the end of the current batch
static long joined;        // clients of the batches that are all in

static void start_connect(struct client *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("connection %d: socket: %s", c->index, strerror(errno));
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)config.port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c->fd = fd;
  c->connecting = 1;
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
    fail("connection %d: connect %s 127.0.0.1:%d", c->index, strerror(errno), config.port);
  }
  update_events(c);
}

static void start_batch(void) {
  batch_end = batch_started + config.connect_batch;
  if (batch_end > total) batch_end = total;
  while (batch_started < batch_end) start_connect(&clients[batch_started++]);
}

static void on_welcome(struct client *c) {
  c->welcomed = 1;
  welcomed_count++;
  if (welcomed_count == batch_end) {
    joined = batch_end;
    if (batch_started < total) start_batch();
  }
}

static void on_connected(struct client *c) {
  int error = 0;
  socklen_t size = sizeof error;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &size);
  if (error) fail("connection %d: connect %s 127.0.0.1:%d", c->index, strerror(error), config.port);
  c->connecting = 0;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  update_events(c);
  char hello[512];
  int n = 0;
  if (config.mode == MODE_IRC) {
    n = snprintf(hello, sizeof hello, "NICK %s%d\r\nUSER %s%d 0 * :%s%d\r\n", config.prefix,
                 c->index, config.prefix, c->index, config.prefix, c->index);
  } else if (config.mode == MODE_NATIVE) {
    n = snprintf(hello, sizeof hello,
                 "{\"type\":\"hello\",\"protocol\":1,\"nick\":\"%s%d\",\"client\":\"load_gen\"}\n",
                 config.prefix, c->index);
  } else if (config.handshake_nick || config.handshake_hello) {
    n = snprintf(hello, sizeof hello, "%s%d\n", config.prefix, c->index);
  } else if (config.handshake_greeting) {
    return; /* in at the server's first line */
  } else {
    on_welcome(c);
    return;
  }
  send_bytes(c, hello, (size_t)n);
}

// ---- sending --------------------------------------------------------------------------------

static int sending_done;
static int finished; // every reader has what it expects
static long flood_senders_left;
static long paced_total, paced_next;
static long paced_senders; // the senders that exist: no more than the clients
static double paced_start, paced_interval;

static void all_done_check(void) { finished = 1; }

/** Flood: writes chunks of 100 lines while the kernel takes them, a few chunks per turn. */
static void pump(struct client *c) {
  if (c->closed) return;
  flush_out(c);
  if (c->closed) return;
  int turns = 0;
  while (c->out.len == c->out.off && c->next_seq < config.per_sender &&
         turns++ < FLOOD_CHUNKS_PER_TURN) {
    size_t n = 0;
    long end = c->next_seq + FLOOD_CHUNK;
    if (end > config.per_sender) end = config.per_sender;
    for (long k = c->next_seq; k < end; k++) n += message_line(chunk + n, c->sender, k);
    c->next_seq = end;
    send_bytes(c, chunk, n);
    if (c->closed) return;
  }
  int finished_writing = c->next_seq >= config.per_sender && c->out.len == c->out.off;
  if (finished_writing && c->want_out) {
    c->want_out = 0;
    if (--flood_senders_left == 0) sending_done = 1;
  }
  update_events(c);
}

static void arm_timer(double at_ms) {
  struct itimerspec spec = {0};
  spec.it_value.tv_sec = (time_t)(at_ms / 1000);
  spec.it_value.tv_nsec = (long)fmod(at_ms * 1e6, 1e9);
  if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

/** Paced: every message that is due (within 1 ms, as the Node generator's schedule), then the timer. */
static void paced_tick(void) {
  while (paced_next < paced_total) {
    double due = paced_start + (double)paced_next * paced_interval;
    if (due - now_ms() > 1) {
      arm_timer(due);
      return;
    }
    long sender = paced_next % paced_senders;
    size_t n = message_line(chunk, (int)sender, paced_next);
    send_bytes(&clients[sender], chunk, n);
    paced_next++;
  }
  sending_done = 1;
}

// ---- the run --------------------------------------------------------------------------------

static void json_number(FILE *out, double value) {
  if (isnan(value) || isinf(value)) fputs("null", out);
  else fprintf(out, "%.15g", value);
}

static double quantile(double q) {
  long seen = 0;
  for (long b = 0; b <= BUCKETS; b++) {
    seen += counts[b];
    if ((double)seen > q * (double)measured) return (double)(b + 1) * BUCKET_MS;
  }
  return NAN;
}

static double cpu_ms(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec * 1000 + (double)usage.ru_utime.tv_usec / 1000 +
         (double)usage.ru_stime.tv_sec * 1000 + (double)usage.ru_stime.tv_usec / 1000;
}

#define STDIN_TAG ((void *)1)
#define TIMER_TAG ((void *)2)

static int go_seen;
static char go_text[64];
static size_t go_len;

static void on_stdin(void) {
  char buf[256];
  ssize_t n = read(0, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    fail("stdin closed before \"go\"");
  }
  for (ssize_t i = 0; i < n; i++) {
    if (go_len + 1 >= sizeof go_text) {
      memmove(go_text, go_text + 1, go_len - 1);
      go_len--;
    }
    go_text[go_len++] = buf[i];
  }
  go_text[go_len] = '\0';
  if (strstr(go_text, "go")) go_seen = 1;
}

/** One turn of the loop: waits at most `timeout_ms` (-1: no limit) and handles what is ready. */
static void turn(int timeout_ms) {
  static struct epoll_event events[1024];
  int n = epoll_wait(epfd, events, 1024, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return;
    fail("epoll_wait: %s", strerror(errno));
  }
  for (int i = 0; i < n; i++) {
    void *tag = events[i].data.ptr;
    uint32_t ready = events[i].events;
    if (tag == STDIN_TAG) {
      on_stdin();
      continue;
    }
    if (tag == TIMER_TAG) {
      uint64_t expirations;
      if (read(timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) {
        fail("timerfd: %s", strerror(errno));
      }
      paced_tick();
      continue;
    }
    struct client *c = tag;
    if (c->closed) continue;
    if (c->connecting) {
      if (ready & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c);
      continue;
    }
    if (ready & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      if (c->stalled && !c->draining && !(ready & EPOLLIN)) {
        close_client(c); // hung up while not reading: found closed at the end as well
        continue;
      }
      on_readable(c);
    }
    if (c->closed) continue;
    if (ready & EPOLLOUT) {
      if (c->want_out) pump(c);
      else {
        flush_out(c);
        if (!c->closed && c->out.len == c->out.off) update_events(c);
      }
    }
  }
}

/** Milliseconds to wait for `deadline` (at least 1 when it is ahead), or -1 without one. */
static int until(double deadline) {
  if (deadline <= 0) return -1;
  double left = deadline - now_ms();
  return left <= 0 ? 0 : (int)ceil(left);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("usage: load_gen_c '<LoadConfig JSON>'\n", stderr);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  parse_config(argv[1]);
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  double started = now_ms();
  double cpu_start = cpu_ms();
  measuring = config.rate > 0 || config.latency;
  if (config.connect_batch < 1) config.connect_batch = 1;
  padding = malloc((size_t)config.payload_bytes + 1);
  memset(padding, 'x', (size_t)config.payload_bytes);
  padding[config.payload_bytes] = '\0';
  chunk_cap = (size_t)FLOOD_CHUNK * ((size_t)config.payload_bytes + 128 + strlen(config.channel));
  chunk = malloc(chunk_cap);
  total = config.clients + config.stalled;
  clients = calloc((size_t)(total > 0 ? total : 1), sizeof *clients);
  if (!padding || !chunk || !clients) fail("out of memory");
  for (long i = 0; i < total; i++) clients[i].index = (int)i;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) fail("epoll_create1: %s", strerror(errno));

  // Connect in batches: the next batch once every client of this one is in.
  double connect_deadline = config.connect_timeout_ms > 0 ? started + config.connect_timeout_ms : 0;
  if (total > 0) start_batch();
  while (welcomed_count < total) {
    if (connect_deadline > 0 && now_ms() >= connect_deadline) {
      fail("only %ld of %ld clients were in (%ld asked) after %g s", welcomed_count, total, joined,
           config.connect_timeout_ms / 1000);
    }
    turn(until(connect_deadline));
  }
  double connect_ms = now_ms() - started;
  for (long i = config.clients; i < total; i++) {
    clients[i].stalled = 1;
    update_events(&clients[i]);
  }
  reader_count = config.clients;
  for (long i = 0; i < config.clients; i++) {
    long own = i < config.senders && !config.echo ? own_messages() : 0;
    clients[i].expected = config.expect_per_reader - own;
    if (clients[i].received >= clients[i].expected) done_readers++;
  }
  counting = 1;
  if (done_readers == reader_count) finished = 1;
  printf("{\"phase\":\"connected\",\"connectMs\":");
  json_number(stdout, connect_ms);
  printf(",\"clients\":%ld}\n", total);
  fflush(stdout);

  // Wait for "go"; messages from other generators are counted meanwhile.
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  struct epoll_event stdin_event = {.events = EPOLLIN, .data.ptr = STDIN_TAG};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &stdin_event) < 0) fail("stdin: %s", strerror(errno));
  while (!go_seen) turn(-1);
  epoll_ctl(epfd, EPOLL_CTL_DEL, 0, NULL);

  double send_start = now_ms();
  go_at = send_start;
  double cpu_go = cpu_ms();
  long senders = config.senders < config.clients ? config.senders : config.clients;
  if (config.rate > 0) {
    timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event timer_event = {.events = EPOLLIN, .data.ptr = TIMER_TAG};
    epoll_ctl(epfd, EPOLL_CTL_ADD, timer_fd, &timer_event);
    paced_total = lround(config.rate * config.seconds);
    paced_interval = 1000 / config.rate;
    paced_start = now_ms();
    paced_senders = senders;
    if (senders == 0) paced_total = 0;
    paced_tick();
  } else {
    flood_senders_left = senders;
    if (senders == 0 || config.per_sender <= 0) sending_done = 1;
    for (long i = 0; i < senders && !sending_done; i++) {
      clients[i].sender = (int)i;
      clients[i].want_out = 1;
      pump(&clients[i]);
    }
  }

  const char *outcome = NULL;
  double timeout_at = send_start + config.timeout_ms;
  double quiet_check = 0;
  for (;;) {
    if (sending_done && finished) {
      outcome = "complete";
      break;
    }
    double t = now_ms();
    if (t >= timeout_at) {
      outcome = "timeout";
      break;
    }
    if (sending_done) {
      if (quiet_check == 0) quiet_check = t + 200;
      if (t >= quiet_check) {
        if (t - fmax(last_delivery, send_start) > QUIET_MS) {
          outcome = "quiet";
          break;
        }
        quiet_check = t + 200;
      }
    }
    double next = timeout_at;
    if (quiet_check > 0 && quiet_check < next) next = quiet_check;
    turn(until(next));
  }
  double done_at = strcmp(outcome, "complete") == 0 ? now_ms() : fmax(last_delivery, send_start + 1);
  double cpu = cpu_ms() - cpu_go;
  long delivered = 0, incomplete = 0;
  for (long i = 0; i < config.clients; i++) {
    delivered += clients[i].received;
    if (clients[i].received < clients[i].expected) incomplete++;
  }
  if (timer_fd >= 0) epoll_ctl(epfd, EPOLL_CTL_DEL, timer_fd, NULL);

  // Stalled clients still open: reading again, a dropped one reaches its end within 2 s.
  long stalled_open = 0;
  if (config.stalled > 0) {
    for (long i = config.clients; i < total; i++) {
      clients[i].draining = 1; // reads again; what it reads is not counted (it is still stalled)
      update_events(&clients[i]);
    }
    double until_at = now_ms() + 2000;
    for (;;) {
      long open = 0;
      for (long i = config.clients; i < total; i++) open += !clients[i].closed;
      stalled_open = open;
      if (open == 0 || now_ms() >= until_at) break;
      turn(until(until_at));
    }
  }

  FILE *out = stdout;
  fprintf(out, "{\"phase\":\"done\",\"generator\":\"c\",\"connectMs\":");
  json_number(out, connect_ms);
  fprintf(out, ",\"elapsedMs\":");
  json_number(out, fmax(0, done_at - send_start));
  fprintf(out, ",\"delivered\":%ld,\"complete\":%s,\"outcome\":\"%s\"", delivered,
          strcmp(outcome, "complete") == 0 ? "true" : "false", outcome);
  fprintf(out, ",\"incompleteReaders\":%ld,\"stalledStillOpen\":%ld", incomplete, stalled_open);
  fprintf(out, ",\"generatorCpuMs\":");
  json_number(out, cpu);
  fprintf(out, ",\"generatorCpuTotalMs\":");
  json_number(out, cpu_ms() - cpu_start);
  if (measuring) {
    fprintf(out, ",\"latency\":{\"p50\":");
    json_number(out, quantile(0.5));
    fprintf(out, ",\"p99\":");
    json_number(out, quantile(0.99));
    fprintf(out, ",\"p999\":");
    json_number(out, quantile(0.999));
    fprintf(out, ",\"n\":%ld},\"histogram\":[", measured);
    int first = 1;
    for (long b = 0; b <= BUCKETS; b++) {
      if (!counts[b]) continue;
      fprintf(out, "%s[%ld,%u]", first ? "" : ",", b, counts[b]);
      first = 0;
    }
    fprintf(out, "],\"series\":[");
    for (long s = 0; s < series_len; s++) {
      if (series[s].n == 0) fprintf(out, "%snull", s ? "," : "");
      else {
        fprintf(out, "%s[%ld,%ld,%ld]", s ? "," : "", series[s].n, lround(series[s].max),
                series[s].over10);
      }
    }
    fprintf(out, "]");
  }
  fprintf(out, "}\n");
  fflush(out);
  // Closed after the report, so the server's CPU read when the harness has
  // every report excludes the disconnects.
  for (long i = 0; i < total; i++) {
    if (!clients[i].closed) close(clients[i].fd);
  }
  return 0;
}
