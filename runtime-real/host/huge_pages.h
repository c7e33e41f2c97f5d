// Large buffers on transparent huge pages (runtime-real/host).
//
// A chunk is up to 64 MiB and travels through several buffers of its size (decoded
// payload, reassembled chunk, the caller's copy). glibc serves allocations that large
// with a fresh mmap each time, so every one of their 4 KiB pages faults in on first
// touch; on a virtual machine a fault costs tens of microseconds, and a 64 MiB chunk
// moved at about 25 MB/s, bound by page faults (docs/performance.md). With glibc's
// `glibc.malloc.hugetlb=1` tunable, malloc asks for transparent huge pages
// (madvise(MADV_HUGEPAGE)), so such a buffer faults in 2 MiB at a time.
//
// Tunables are read only when a process starts, so use_huge_pages_for_malloc() re-executes
// the program with the tunable added to GLIBC_TUNABLES (same pid, same arguments), unless
// GLIBC_TUNABLES already names glibc.malloc.hugetlb (set it to 0 to opt out), the kernel
// offers no transparent huge pages, or re-executing fails (the program then goes on as it
// is). Call it first thing in main(), before any thread starts. The signal mask and
// pending signals survive the exec: block the signals the program handles before calling.
#pragma once

namespace cairn::real {

void use_huge_pages_for_malloc(char** argv);

}  // namespace cairn::real
