// Revocation latency helper for RevocationBenchmark, run in an app's cgroup. For each line
// "ADDRESS PORT" it connect()s one UDP socket to ADDRESS:PORT over and over (a UDP connect sends
// nothing, and each one runs the connect4 hook), prints "R" after the first allowed attempt, and
// keeps going until an attempt fails with EPERM; then prints the CLOCK_MONOTONIC time (ns) at which
// that attempt returned, the number of attempts, and the time the last allowed attempt started. The
// switch happened after the last allowed attempt's hook ran and before the denied one's, so it lies
// between those two times: when they are close, the loop was running and the figure is the switch's.
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
	char address[64];
	int port;
	while (scanf("%63s %d", address, &port) == 2) {
		struct sockaddr_in sa;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons(port);
		inet_pton(AF_INET, address, &sa.sin_addr);
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		long long attempts = 0, denied_at = 0, allowed_started = 0;
		int ready = 0;
		for (;;) {
			long long started = now();
			int r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
			attempts++;
			if (r < 0 && errno == EPERM) {
				denied_at = now();
				break;
			}
			if (r < 0) {
				printf("X%d\n", errno);
				fflush(stdout);
				break;
			}
			allowed_started = started;
			if (!ready) {
				ready = 1;
				printf("R\n");
				fflush(stdout);
			}
		}
		close(s);
		if (denied_at) {
			if (!ready)
				printf("R\n");
			printf("%lld %lld %lld\n", denied_at, attempts, allowed_started);
			fflush(stdout);
		}
	}
	return 0;
}
