// SPDX-License-Identifier: MIT
/*
 * The compute benchmarks (see bench_progs.h): an Internet checksum over the
 * buffer, FNV-1a over the buffer, an ALU-heavy mixing loop, and a packet
 * parser walking Ethernet/IPv4/TCP headers of 64-byte frames.
 */
#include "bench_progs.h"

BENCH_PROG(checksum) bu64 BENCH_FN(bench_checksum)(const bu8 *data, bu64 len)
{
	bu64 sum = 0;

	for (bu64 i = 0; i + 1 < len; i += 2)
		sum += (bu64)data[i] << 8 | data[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (bu16)~sum;
}

BENCH_PROG(fnv1a) bu64 BENCH_FN(bench_fnv1a)(const bu8 *data, bu64 len)
{
	bu64 h = 0xcbf29ce484222325ull;

	for (bu64 i = 0; i < len; i++) {
		h ^= data[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

BENCH_PROG(alu_mix) bu64 BENCH_FN(bench_alu_mix)(const bu8 *data, bu64 len)
{
	bu64 x = len | 1, acc = 0;

	for (bu32 i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += (x % 1000003) ^ (acc >> 3);
		acc = (acc << 5) | (acc >> 59);
	}
	return acc;
}

struct bench_pkt_stats {
	bu64 tcp, udp, other, bytes;
};

INLINE void parse_one(const bu8 *p, struct bench_pkt_stats *st)
{
	bu16 eth_type = (bu16)(p[12] << 8 | p[13]);
	const bu8 *ip = p + 14;
	bu32 ihl;

	if (eth_type != 0x0800 || (ip[0] >> 4) != 4) {
		st->other++;
		return;
	}
	ihl = (ip[0] & 15) * 4;
	st->bytes += (bu16)(ip[2] << 8 | ip[3]);
	if (ip[9] == 6 && ihl == 20) {
		const bu8 *tcp = ip + ihl;
		bu16 dport = (bu16)(tcp[2] << 8 | tcp[3]);

		st->tcp += dport == 80 || dport == 443 ? 2 : 1;
	} else if (ip[9] == 17) {
		st->udp++;
	} else {
		st->other++;
	}
}

BENCH_PROG(pkt_parse) bu64 BENCH_FN(bench_pkt_parse)(const bu8 *data, bu64 len)
{
	struct bench_pkt_stats st = { 0, 0, 0, 0 };

	for (bu64 off = 0; off + 64 <= len; off += 64)
		parse_one(data + off, &st);
	return st.tcp * 1000000 + st.udp * 1000 + st.other + (st.bytes << 32);
}
