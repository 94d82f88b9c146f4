# SPDX-License-Identifier: GPL-2.0
#
# gdb-vcpus.py: the state of each vCPU of a test VM that hangs, read through
# QEMU's gdbstub (run-vm.sh with QEMU_EXTRA="-gdb tcp:127.0.0.1:1234"):
#   gdb -batch -ex "file build/kbuild-debug/vmlinux" \
#       -ex "target remote 127.0.0.1:1234" -x scripts/gdb-vcpus.py
# prints each vCPU's pc and sp with their symbols, and the kernel text
# addresses found in the 400 words above sp (a rough backtrace: the test
# kernels have no debug info).
import gdb
text_lo = int(gdb.parse_and_eval("(unsigned long)&_stext"))
text_hi = int(gdb.parse_and_eval("(unsigned long)&_etext"))
inf = gdb.selected_inferior()
for th in inf.threads():
    th.switch()
    rip = int(gdb.parse_and_eval("$pc"))
    rsp = int(gdb.parse_and_eval("$sp"))
    print("=== thread %d: rip %#x %s rsp %#x eflags %s" % (th.num, rip, gdb.execute("info symbol %#x" % rip, to_string=True).strip(), rsp, gdb.parse_and_eval("$eflags")))
    try:
        mem = inf.read_memory(rsp, 8 * 400)
        import struct
        vals = struct.unpack("<400Q", bytes(mem))
        for i, v in enumerate(vals):
            if text_lo <= v < text_hi:
                print("  [rsp+%#x] %#x %s" % (i * 8, v, gdb.execute("info symbol %#x" % v, to_string=True).strip()))
    except Exception as e:
        print("  stack unreadable:", e)
