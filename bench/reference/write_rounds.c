/*
 * write_rounds.ts in C: 10,000 loopback connections from bench/reference/rounds_reader.cjs, then 20
 * rounds 100 ms apart of one 64-byte write() to each; prints each round's wall time in ms.
 *
 *   cc -O2 -o bench/results/write_rounds bench/reference/write_rounds.c
 *   bench/results/write_rounds          (from the project root: it starts the reader with node)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS 10000
#define ROUNDS 20

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(void) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096) ||
      getsockname(listener, (struct sockaddr *)&address, &length)) {
    perror("write_rounds: listen");
    return 1;
  }
  char command[256];
  snprintf(command, sizeof command, "node bench/reference/rounds_reader.cjs %d %d",
           ntohs(address.sin_port), CLIENTS);
  FILE *reader = popen(command, "w"); /* its stdin: closing it ends the reader */
  if (!reader) {
    perror("write_rounds: node");
    return 1;
  }
  alarm(60); /* the reader never connected (no node?): do not wait for ever */
  static int fds[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) {
    fds[i] = accept(listener, NULL, NULL);
    if (fds[i] < 0) {
      perror("write_rounds: accept");
      return 1;
    }
    setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  alarm(0);
  usleep(500000);
  const char *line = "<bob> hello there this is a message line of about 75 bytes....\r\n";
  size_t n = strlen(line);
  printf("c write(): round ms");
  for (int round = 0; round < ROUNDS; round++) {
    double started = now_ms();
    for (int i = 0; i < CLIENTS; i++) {
      if (write(fds[i], line, n) != (ssize_t)n) perror("write_rounds: write");
    }
    printf(" %.0f", now_ms() - started);
    usleep(100000);
  }
  printf("\n");
  pclose(reader);
  return 0;
}
