#!/bin/sh
# Installs the build tree into a temporary prefix and builds, out of tree,
# two consumers against it: a C program (find_package, and pkg-config) and a
# C++ program (find_package + vigil::vigil, -Werror; it also reads this host's
# users as typed asset records). With the Python bindings built, also imports
# the installed package.
# Usage: install_test.sh <build dir> <tests/install source dir> <work dir>
#        <cmake> <generator> <C compiler> <C++ compiler> <python or "">
set -eu
build=$1 src=$2 work=$3 cmake=$4 gen=$5 cc=$6 cxx=$7 python=${8:-}

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
step() { echo "== $*"; }

step "cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" > "$work/install.log" || {
  cat "$work/install.log"; exit 1; }
for f in include/vigil/vigil.h include/vigil/vigil.hpp include/vigil/asset_records.hpp \
         include/vigil/schema/event.fbs; do
  [ -f "$prefix/$f" ] || { echo "FAIL: $f not installed" >&2; exit 1; }
done
libdir=$(cd "$prefix" && ls -d lib*/libvigil.so 2>/dev/null | head -1 | xargs -r dirname || true)
[ -n "$libdir" ] || libdir=$(cd "$prefix" && find . -name libvigil.so | head -1 | xargs dirname)
[ -n "$libdir" ] && [ -f "$prefix/$libdir/libvigil.so" ] || {
  echo "FAIL: libvigil.so not installed" >&2; exit 1; }

for consumer in consumer_c consumer_cpp; do
  step "configure + build + run $consumer (find_package)"
  "$cmake" -S "$src/$consumer" -B "$work/$consumer" -G "$gen" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$work/$consumer.configure.log" 2>&1 || {
    cat "$work/$consumer.configure.log"; exit 1; }
  "$cmake" --build "$work/$consumer" > "$work/$consumer.build.log" 2>&1 || {
    cat "$work/$consumer.build.log"; exit 1; }
  "$work/$consumer/$consumer" "$work/missing.vgl"
done

step "build + run consumer_c with pkg-config"
pc=$(find "$prefix" -name vigil.pc | head -1)
[ -n "$pc" ] || { echo "FAIL: vigil.pc not installed" >&2; exit 1; }
# --define-prefix: the .pc is relocated with the prefix (cmake --install --prefix).
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-prefix --cflags --libs vigil)
"$cc" -std=c99 -Wall -Werror -o "$work/consumer_c_pc" "$src/consumer_c/main.c" $flags
LD_LIBRARY_PATH="$prefix/$libdir" "$work/consumer_c_pc" "$work/missing.vgl"

if [ -n "$python" ]; then
  step "import the installed Python package"
  pydir=$(find "$prefix" -path '*-packages/vigil/__init__.py' | head -1 | xargs dirname | xargs dirname)
  [ -n "$pydir" ] || { echo "FAIL: the vigil Python package was not installed" >&2; exit 1; }
  PYTHONPATH=$pydir "$python" -c "
import vigil, sys
print('python: vigil', vigil.version(), 'from', vigil.__file__)
try:
    vigil.Capture.open_recording(sys.argv[1])
except FileNotFoundError as e:
    assert sys.argv[1] in str(e), e
    print('expected error:', e)
else:
    sys.exit('no error for a missing recording')
" "$work/missing.vgl"
fi
echo "OK"
