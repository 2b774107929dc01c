/* SPDX-License-Identifier: MIT */
/*
 * The one list of map types bpffs-user implements: BPFFS_MAP_TYPE(uapi id,
 * name) names `const struct bpffs_map_ops bpffs_<name>_map_ops`, defined in
 * src/maps/<file>.c. A new map type is one file plus one line here. Types
 * absent from this list fail creation (map.c explains why in the log).
 */
BPFFS_MAP_TYPE(BPF_MAP_TYPE_ARRAY, array)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_PERCPU_ARRAY, percpu_array)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_HASH, hash)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_PERCPU_HASH, percpu_hash)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_LRU_HASH, lru_hash)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_LRU_PERCPU_HASH, lru_percpu_hash)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_DEVMAP_HASH, devmap_hash)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_QUEUE, queue)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_STACK, stack)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_BLOOM_FILTER, bloom_filter)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_LPM_TRIE, lpm_trie)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_RINGBUF, ringbuf)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_PERF_EVENT_ARRAY, perf_event_array)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_PROG_ARRAY, prog_array)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_ARRAY_OF_MAPS, array_of_maps)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_HASH_OF_MAPS, hash_of_maps)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_DEVMAP, devmap)
BPFFS_MAP_TYPE(BPF_MAP_TYPE_CPUMAP, cpumap)
