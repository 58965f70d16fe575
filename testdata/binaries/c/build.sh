#!/bin/sh
# Rebuilds the C test binaries and the readelf listings the tests compare against.
# Needs gcc and GNU binutils >= 2.39 (ld --package-metadata), as in Debian bookworm; python3 for
# removing the section header table.
set -eu
cd "$(dirname "$0")"
CC=${CC:-gcc}
META='{"type":"deb","os":"debian","name":"hello-notes","version":"1.2-3","architecture":"amd64","osCpe":"cpe:/o:debian:debian_linux:12","appCpe":"cpe:/a:example:hello-notes:1.2","debugInfoUrl":"https://debuginfod.debian.net"}'

# PIE, full RELRO, stack protector, FORTIFY_SOURCE.
$CC -O2 -fPIE -pie -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wl,-z,relro,-z,now \
    -Wl,--build-id=sha1 -o hardened hello.c
# Fixed address, no RELRO, no stack protector, no fortification.
$CC -O0 -no-pie -fno-stack-protector -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0 -Wl,-z,norelro \
    -Wl,--build-id=sha1 -o plain hello.c
# A package note written by the linker (-Xlinker: -Wl, would split the JSON at its commas) and a dlopen note from assembly; stripped of symbols.
$CC -O2 -Xlinker --package-metadata="$META" -Wl,--build-id=sha1 -s -o noted hello.c dlopen-note.S
# 600 SystemTap notes before the package note, in one note section (OpenJDK's libjvm.so has ~532).
$CC -O2 -Wl,--build-id=sha1 -s -o many-notes hello.c many-notes.S
# The same without a section header table: notes only reachable through PT_NOTE.
python3 - noted noted-noshdr <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
assert b[:4] == b"\x7fELF" and b[4] == 2 and b[5] == 1, "x86-64 little-endian ELF64 expected"
struct.pack_into("<Q", b, 0x28, 0)      # e_shoff
struct.pack_into("<HHH", b, 0x3c, 0, 0, 0)  # e_shnum, e_shstrndx (and e_shentsize before them)
struct.pack_into("<H", b, 0x3a, 0)      # e_shentsize
open(sys.argv[2], "wb").write(b)
PY
chmod +x noted-noshdr
for f in hardened plain noted noted-noshdr; do
    LC_ALL=C readelf -SlndW --dyn-syms "$f" > "$f.readelf.txt" 2>&1 || true
done
