// Reload helper for EnforcementBenchmark's reload table, run in an app's cgroup. For each line
// "ALLOWED_ADDR DENIED_ADDR PORT_ALLOWED PORT_DENIED COUNT" (addresses IPv4 or IPv6) it connect()s one
// UDP socket COUNT times, alternating between the destination every generation allows and the one
// every generation denies (a UDP connect sends nothing; each one runs the connect4/6 hook), and
// answers "ATTEMPTS TRANSIENT_DENIES TRANSIENT_ALLOWS OTHER_ERRORS ELAPSED_NS": an EPERM on the allowed
// destination is a transient deny, success on the denied one a transient allow, anything else an
// other error (printed once to stderr).
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

// Fills *sa from a literal; returns its length, 0 when the literal is no address.
static socklen_t address(const char *literal, int port, struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof(*sa));
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	if (inet_pton(AF_INET, literal, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		return sizeof(*v4);
	}
	if (inet_pton(AF_INET6, literal, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		return sizeof(*v6);
	}
	return 0;
}

int main(void)
{
	char allowed_literal[64], denied_literal[64];
	int allowed_port, denied_port;
	long long count;
	while (scanf("%63s %63s %d %d %lld", allowed_literal, denied_literal, &allowed_port, &denied_port, &count) ==
	       5) {
		struct sockaddr_storage allowed, denied;
		socklen_t allowed_len = address(allowed_literal, allowed_port, &allowed);
		socklen_t denied_len = address(denied_literal, denied_port, &denied);
		if (!allowed_len || !denied_len || allowed.ss_family != denied.ss_family) {
			printf("X bad addresses\n");
			fflush(stdout);
			continue;
		}
		int s = socket(allowed.ss_family, SOCK_DGRAM, 0);
		long long attempts = 0, transient_denies = 0, transient_allows = 0, other = 0;
		int reported = 0;
		long long t0 = now();
		for (long long i = 0; i < count; i++) {
			int deny = i & 1;
			int r = deny ? connect(s, (struct sockaddr *)&denied, denied_len)
				     : connect(s, (struct sockaddr *)&allowed, allowed_len);
			attempts++;
			if (deny && r == 0)
				transient_allows++;
			else if (!deny && r < 0 && errno == EPERM)
				transient_denies++;
			else if (r < 0 && !(deny && errno == EPERM)) {
				other++;
				if (!reported++)
					fprintf(stderr, "reloadloop: connect to %s: %s\n",
						deny ? denied_literal : allowed_literal, strerror(errno));
			}
		}
		long long elapsed = now() - t0;
		close(s);
		printf("%lld %lld %lld %lld %lld\n", attempts, transient_denies, transient_allows, other, elapsed);
		fflush(stdout);
	}
	return 0;
}
