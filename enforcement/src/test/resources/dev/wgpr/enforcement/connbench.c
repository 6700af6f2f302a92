// Connect timing helper for EnforcementBenchmark. Reads "ADDRESS PORT COUNT MODE" lines (MODE block:
// blocking TCP connects, each timed; nb: non-blocking TCP, untimed; udp: one UDP socket connect()ed
// COUNT times, untimed, which runs the hook with little else in between; sock: COUNT times socket()
// and close() of a UDP socket, ADDRESS and PORT unused, which runs cgroup/sock_create) and answers one line: the
// latencies in ns (block only), then "E<number of EPERM>". SO_LINGER 0, so closing a TCP socket sends
// RST and leaves no TIME_WAIT.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
	char address[64], mode[16];
	int port, count;
	static char out[1 << 20];
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	while (scanf("%63s %d %d %15s", address, &port, &count, mode) == 4) {
		struct sockaddr_in sa;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons(port);
		inet_pton(AF_INET, address, &sa.sin_addr);
		int block = strcmp(mode, "block") == 0;
		int eperm = 0;
		if (strcmp(mode, "sock") == 0) {
			for (int i = 0; i < count; i++) {
				int s = socket(AF_INET, SOCK_DGRAM, 0);
				if (s < 0 && errno == EPERM)
					eperm++;
				if (s >= 0)
					close(s);
			}
			printf("E%d\n", eperm);
			fflush(stdout);
			continue;
		}
		if (strcmp(mode, "udp") == 0) {
			int s = socket(AF_INET, SOCK_DGRAM, 0);
			for (int i = 0; i < count; i++)
				if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EPERM)
					eperm++;
			close(s);
			printf("E%d\n", eperm);
			fflush(stdout);
			continue;
		}
		for (int i = 0; i < count; i++) {
			int s = socket(AF_INET, SOCK_STREAM | (block ? 0 : SOCK_NONBLOCK), 0);
			struct linger l = {1, 0};
			setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			long long t0 = now();
			int r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
			long long t1 = now();
			if (r < 0 && errno == EPERM)
				eperm++;
			close(s);
			if (block)
				printf("%lld ", t1 - t0);
		}
		printf("E%d\n", eperm);
		fflush(stdout);
	}
	return 0;
}
