#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Bare proc connector listener for checking loss accounting: prints every PROC_EVENT_NONE ack
# (what/cpu/seq/ack) and every per-CPU sequence gap it sees, counting acks in the sequence like
# the kernel does (cn_proc.c send_msg numbers them). Start it, then start another listener
# (e.g. `forkstat`): its subscription ack appears with a sequence number and no gap.
# Bounded: runs SECONDS (default 10, at most 300). Root (CAP_NET_ADMIN).
# Usage: sudo bench/proc-connector-seq.py [SECONDS]
import os, socket, struct, sys, time

NETLINK_CONNECTOR, CN_IDX_PROC, CN_VAL_PROC, NLMSG_DONE, PROC_CN_MCAST_LISTEN = 11, 1, 1, 3, 1
seconds = min(300.0, float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
s.bind((os.getpid(), CN_IDX_PROC))
cn = struct.pack("=IIIIHH", CN_IDX_PROC, CN_VAL_PROC, 0, 0, 4, 0) + struct.pack("=I", PROC_CN_MCAST_LISTEN)
s.send(struct.pack("=IHHII", 16 + len(cn), NLMSG_DONE, 0, 0, os.getpid()) + cn)
s.settimeout(0.5)
last, messages, gaps = {}, 0, 0
deadline = time.time() + seconds
while time.time() < deadline:
    try:
        d = s.recv(8192)
    except socket.timeout:
        continue
    if len(d) < 16 + 20 + 16:
        continue
    seq, ack = struct.unpack_from("=II", d, 16 + 8)
    what, cpu = struct.unpack_from("=II", d, 16 + 20)
    messages += 1
    prev = last.get(cpu)
    if prev is not None and seq != (prev + 1) & 0xFFFFFFFF:
        gaps += 1
        print(f"gap on cpu {cpu}: seq {prev} then {seq}", flush=True)
    if what == 0:
        print(f"ack: what=0x0 cpu={cpu} seq={seq} ack={ack}", flush=True)
    last[cpu] = seq
print(f"{messages} messages, {gaps} gaps", flush=True)
