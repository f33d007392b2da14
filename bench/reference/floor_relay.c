/*
 * The floor: the least a chat relay can cost on this machine.
 *
 * Not part of lanchat. A bare epoll line relay in C, used only as an `--against` target of
 * `deno task bench` (see docs/performance.md, "The floor"): every line a client sends is written to
 * every other client, nothing else. No nicks, rooms, history, sanitising, TLS or rate limits; one
 * write() per recipient for all the whole lines one read brought (lanchat too joins what queued
 * up into one write), so what it measures is what the kernel and the load generators cost on the
 * same cores. Clients whose unsent bytes pass 1 MiB are dropped.
 *
 * With a thread count above 1 it is the multi-core design: each thread has its own SO_REUSEPORT
 * listener and owns the clients the kernel hands it; a line is written by the reading thread to its
 * own clients and passed to every other thread (a locked inbox and an eventfd), which writes it to
 * theirs.
 *
 * A client counts in once it is in the member list, and the relay greets it then ("ok"). By
 * default that is at the accept; with `--hello` the relay first waits for the client's first
 * line (its name, as lanchat's text clients say their nick), greets it on that line's newline, and
 * only then relays its lines (the name line itself is not relayed): the least a connect that is a
 * round trip costs, as lanchat's is.
 *
 *   cc -O2 -pthread -o bench/results/floor_relay bench/reference/floor_relay.c
 *   deno task bench --only latency,crowd --against "bench/results/floor_relay {port}"
 *   deno task bench --only latency,crowd --against "bench/results/floor_relay {port} 2"
 *   deno task bench --only crowd --against relay,relay-hello
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 65536
#define MAX_THREADS 16
#define LINE_BYTES 8192
#define QUEUE_LIMIT (1 << 20)

typedef struct {
  char *bytes;
  size_t length, capacity;
} Buffer;

typedef struct Shard Shard;

/* Indexed by fd. Only the owning thread touches an entry, until it closes the fd (last). */
typedef struct {
  Shard *owner; /* NULL once closed */
  Buffer queue; /* bytes accepted but not yet written */
  char line[LINE_BYTES]; /* the unfinished line read so far */
  size_t line_length;
  int discarding; /* inside a line longer than LINE_BYTES: dropped up to its end */
  int member; /* in its shard's member list: greeted (with --hello, once its first line came) */
} Client;

struct Shard {
  int listener, poller, wakeup;
  int *members; /* this thread's open client fds, in no order */
  int member_count;
  pthread_mutex_t lock;
  Buffer inbox; /* whole lines from other threads, under lock */
  Buffer taken; /* the inbox, swapped out to be delivered */
};

static Client clients[MAX_FDS];
static int member_index[MAX_FDS];
static Shard shards[MAX_THREADS];
static int shard_count = 1;
static int port;
static int hello; /* --hello: greet and count a client in at its first line, not at the accept */

static int append(Buffer *b, const char *bytes, size_t n, size_t limit) {
  if (b->length + n > limit) return -1;
  if (b->length + n > b->capacity) {
    b->capacity = (b->length + n) * 2;
    b->bytes = realloc(b->bytes, b->capacity);
  }
  memcpy(b->bytes + b->length, bytes, n);
  b->length += n;
  return 0;
}

static void watch(Shard *s, int fd, unsigned events, int op) {
  struct epoll_event event = {.events = events, .data.fd = fd};
  epoll_ctl(s->poller, op, fd, &event);
}

/* Forgets the client, then closes its fd: only then may another thread's accept reuse the number. */
static void drop(Shard *s, int fd) {
  Client *c = &clients[fd];
  if (c->owner != s) return;
  if (c->member) {
    int i = member_index[fd];
    s->members[i] = s->members[--s->member_count];
    member_index[s->members[i]] = i;
    c->member = 0;
  }
  free(c->queue.bytes);
  c->queue = (Buffer){0};
  c->owner = NULL;
  close(fd);
}

/* Writes at once when nothing is queued; otherwise appends and waits for EPOLLOUT. */
static void deliver(Shard *s, int fd, const char *bytes, size_t n) {
  Client *c = &clients[fd];
  if (c->queue.length) {
    if (append(&c->queue, bytes, n, QUEUE_LIMIT)) drop(s, fd);
    return;
  }
  ssize_t written = write(fd, bytes, n);
  if (written < 0) {
    if (errno != EAGAIN) {
      drop(s, fd);
      return;
    }
    written = 0;
  }
  if ((size_t)written < n) {
    append(&c->queue, bytes + written, n - written, QUEUE_LIMIT);
    watch(s, fd, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
  }
}

/* Writes whole lines to every client of this thread except `except` (-1: none). */
static void deliver_all(Shard *s, int except, const char *bytes, size_t n) {
  for (int m = 0; m < s->member_count;) {
    int to = s->members[m];
    if (to != except) deliver(s, to, bytes, n);
    if (m < s->member_count && s->members[m] == to) m++; /* else a drop moved another fd here */
  }
}

static void flush(Shard *s, int fd) {
  Buffer *q = &clients[fd].queue;
  size_t sent = 0;
  while (sent < q->length) {
    ssize_t n = write(fd, q->bytes + sent, q->length - sent);
    if (n < 0) {
      if (errno == EAGAIN) break;
      drop(s, fd);
      return;
    }
    sent += n;
  }
  memmove(q->bytes, q->bytes + sent, q->length - sent);
  q->length -= sent;
  if (!q->length) watch(s, fd, EPOLLIN, EPOLL_CTL_MOD);
}

static void relay_lines(Shard *s, int from) {
  Client *c = &clients[from];
  size_t start = 0;
  /* Every whole line of this read leaves in one write per recipient, as lanchat's queued frames
     leave together: [block, start) are the lines to relay. */
  size_t block = 0;
  for (size_t i = 0; i < c->line_length; i++) {
    if (c->line[i] != '\n') continue;
    if (c->discarding) { /* the end of a line that was too long */
      c->discarding = 0;
      start = block = i + 1;
      continue;
    }
    start = i + 1;
  }
  size_t n = start - block;
  if (n > 0) {
    /* The other threads first, so that their writes run alongside this thread's. */
    for (Shard *other = shards; other < shards + shard_count; other++) {
      if (other == s) continue;
      pthread_mutex_lock(&other->lock);
      append(&other->inbox, c->line + block, n, SIZE_MAX);
      pthread_mutex_unlock(&other->lock);
      uint64_t one = 1;
      if (write(other->wakeup, &one, sizeof one) < 0) perror("floor_relay: eventfd");
    }
    deliver_all(s, from, c->line + block, n);
  }
  memmove(c->line, c->line + start, c->line_length - start);
  c->line_length -= start;
  if (c->line_length == LINE_BYTES) { /* a line too long: drop it, up to its end */
    c->line_length = 0;
    c->discarding = 1;
  }
}

/* Puts the client in the member list and greets it: from here it counts as connected (the
   bench's "greeting" and "hello" handshakes wait for this line). */
static void admit(Shard *s, int fd) {
  clients[fd].member = 1;
  member_index[fd] = s->member_count;
  s->members[s->member_count++] = fd;
  if (write(fd, "ok\n", 3) < 0) perror("floor_relay: greeting");
}

/* --hello: a client not yet in waits for its first line's newline. That line (its name) is
   dropped; it is then admitted, and what it sent after the line is relayed. Returns 0 while the
   client is still waiting, or when it was dropped for a name longer than LINE_BYTES. */
static int take_hello(Shard *s, int fd) {
  Client *c = &clients[fd];
  char *newline = memchr(c->line, '\n', c->line_length);
  if (!newline) {
    if (c->line_length == LINE_BYTES) drop(s, fd);
    return 0;
  }
  size_t used = (size_t)(newline - c->line) + 1;
  memmove(c->line, c->line + used, c->line_length - used);
  c->line_length -= used;
  admit(s, fd);
  return 1;
}

static void take_inbox(Shard *s) {
  uint64_t count;
  if (read(s->wakeup, &count, sizeof count) < 0) return;
  pthread_mutex_lock(&s->lock);
  Buffer lines = s->inbox;
  s->inbox = s->taken;
  s->inbox.length = 0;
  pthread_mutex_unlock(&s->lock);
  /* The inbox holds only whole lines: one write per recipient for all of them. */
  if (lines.length > 0) deliver_all(s, -1, lines.bytes, lines.length);
  s->taken = lines;
}

static void accept_all(Shard *s) {
  int one = 1;
  int fd;
  while ((fd = accept4(s->listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
    if (fd >= MAX_FDS) {
      close(fd);
      continue;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    clients[fd].owner = s;
    clients[fd].line_length = 0;
    clients[fd].discarding = 0;
    clients[fd].member = 0;
    watch(s, fd, EPOLLIN, EPOLL_CTL_ADD);
    /* A client counts as connected only once in the member list, not from the kernel's
       handshake: at once, or with --hello at its first line. */
    if (!hello) admit(s, fd);
  }
  if (errno == EMFILE || errno == ENFILE) usleep(1000); /* out of fds: do not spin */
}

static int open_listener(void) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096)) {
    perror("floor_relay: listen");
    exit(1);
  }
  return listener;
}

static void *run(void *arg) {
  Shard *s = arg;
  struct epoll_event ready[512];
  for (;;) {
    int n = epoll_wait(s->poller, ready, 512, -1);
    for (int i = 0; i < n; i++) {
      int fd = ready[i].data.fd;
      if (fd == s->listener) {
        accept_all(s);
        continue;
      }
      if (fd == s->wakeup) {
        take_inbox(s);
        continue;
      }
      /* A stale event for an fd this thread closed (and another may have accepted since). */
      if (clients[fd].owner != s) continue;
      if (ready[i].events & EPOLLOUT) flush(s, fd);
      if (clients[fd].owner != s || !(ready[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      Client *c = &clients[fd];
      ssize_t got = read(fd, c->line + c->line_length, LINE_BYTES - c->line_length);
      if (got < 0 && errno == EAGAIN) continue;
      if (got <= 0) {
        drop(s, fd);
        continue;
      }
      c->line_length += got;
      if (!c->member && !take_hello(s, fd)) continue;
      relay_lines(s, fd);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--hello") == 0) {
    hello = 1;
    argv++;
    argc--;
  }
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s [--hello] <port> [threads]   (listens on 127.0.0.1)\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  signal(SIGPIPE, SIG_IGN); /* a client gone mid-write is an EPIPE, not the end of the relay */
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  shard_count = argc == 3 ? atoi(argv[2]) : 1;
  if (shard_count < 1 || shard_count > MAX_THREADS) {
    fprintf(stderr, "floor_relay: threads must be 1 to %d\n", MAX_THREADS);
    return 2;
  }
  for (Shard *s = shards; s < shards + shard_count; s++) {
    s->listener = open_listener();
    s->poller = epoll_create1(0);
    s->wakeup = eventfd(0, EFD_NONBLOCK);
    s->members = calloc(MAX_FDS, sizeof(int));
    pthread_mutex_init(&s->lock, NULL);
    watch(s, s->listener, EPOLLIN, EPOLL_CTL_ADD);
    watch(s, s->wakeup, EPOLLIN, EPOLL_CTL_ADD);
  }
  pthread_t threads[MAX_THREADS];
  for (int i = 1; i < shard_count; i++) pthread_create(&threads[i], NULL, run, &shards[i]);
  run(&shards[0]);
}
