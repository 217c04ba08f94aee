#!/bin/sh
# Checks what libvigil.so exposes to the system linker:
#  - SONAME is libvigil.so.<major>;
#  - NEEDED holds system libraries only (glibc, the C++ runtime, libelf, zlib,
#    libbpf.so.1 and Debian's Abseil 20220623 shared libraries, which are
#    linked shared because Debian's static archives are not PIC);
#  - exported symbols are the C ABI (vigil_*) and vigil::-namespace C++
#    entities only (no Abseil, fmt, flatbuffers or libbpf symbol leaks);
#  - every function declared VIGIL_API in vigil.h is exported and every
#    exported vigil_* symbol is declared there (no hand-kept list can drift).
# Usage: check_symbols.sh <libvigil.so> <include/vigil/vigil.h> <major> [sanitize]
# ("sanitize": an ASan+UBSan build, whose runtimes are NEEDED too).
set -u
lib=$1
header=$2
major=$3
sanitize=${4:-}
fail=0
err() { echo "FAIL: $*" >&2; fail=1; }

[ -f "$lib" ] || { echo "no such library: $lib" >&2; exit 1; }
dyn=$(readelf -d "$lib") || { echo "readelf failed" >&2; exit 1; }

soname=$(printf '%s\n' "$dyn" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libvigil.so.$major" ] || err "SONAME is '$soname', expected libvigil.so.$major"

# ld-linux is glibc's dynamic loader (it provides __tls_get_addr for the
# thread_local variables of a shared object): part of libc.
allowed='^(libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libelf\.so\.1|libz\.so\.1|libbpf\.so\.1|libabsl_[a-z0-9_]+\.so\.20220623|libyaml-cpp\.so\.0\.7|libre2\.so\.9|libsqlite3\.so\.0|libarchive\.so\.13|ld-linux-x86-64\.so\.2|ld-linux-aarch64\.so\.1)$'
[ "$sanitize" = sanitize ] && allowed="$allowed|^(libasan\.so\.[0-9]+|libubsan\.so\.[0-9]+)\$"
needed=$(printf '%s\n' "$dyn" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for n in $needed; do
  printf '%s\n' "$n" | grep -Eq "$allowed" || err "NEEDED $n is not an allowed system library"
done
echo "NEEDED: $(echo $needed)"

# Exported (defined, dynamic) symbols, without their version suffix.
syms=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sort -u)
[ -n "$syms" ] || err "no exported symbols"
cxx_ok='^(vigil::|typeinfo for vigil::|typeinfo name for vigil::|vtable for vigil::|VTT for vigil::|guard variable for vigil::)'
n_c=0
n_cxx=0
for s in $syms; do
  case $s in
    vigil_*) n_c=$((n_c + 1)); continue ;;
  esac
  d=$(printf '%s\n' "$s" | c++filt)
  if printf '%s\n' "$d" | grep -Eq "$cxx_ok"; then
    n_cxx=$((n_cxx + 1))
  else
    err "exported symbol outside vigil: $s ($d)"
  fi
done
echo "exported: $n_c C symbols, $n_cxx C++ symbols"

# The header and the library agree on the C ABI.
declared=$(tr '\n' ' ' < "$header" | grep -o 'VIGIL_API[^;(]*(' | grep -o 'vigil_[a-z0-9_]*[ ]*($' | tr -d ' (' | sort -u)
exported=$(printf '%s\n' "$syms" | grep '^vigil_' | sort -u)
[ -n "$declared" ] || err "no VIGIL_API declarations found in $header"
for f in $declared; do
  printf '%s\n' "$exported" | grep -qx "$f" || err "$f is declared in vigil.h but not exported"
done
for f in $exported; do
  printf '%s\n' "$declared" | grep -qx "$f" || err "$f is exported but not declared in vigil.h"
done
echo "vigil.h declares $(echo $declared | wc -w) functions"

[ $fail -eq 0 ] && echo "OK"
exit $fail
