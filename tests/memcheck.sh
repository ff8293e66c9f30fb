#!/bin/sh
# memcheck.sh: the example runs of tests/examples.sh again, each elvm process under
# valgrind memcheck: any invalid read or write, use of uninitialised memory or definitely
# lost block makes that run exit 99 (so its check fails), and each process's valgrind log
# must hold nothing but the known notice below.
#
#   B=build sh tests/memcheck.sh      (make memcheck; not for SANITIZE builds)
#
# Each run goes through elvm-dyn, the dynamically linked build of the same CLI (the
# static elvm hands it manifests and --log): in a static program valgrind cannot put its
# own malloc in place, so it would see neither leaks nor overruns of heap blocks.
#
# valgrind 3.19 does not know openat2 (syscall 437): it answers ENOSYS, and elvm's WASI
# resolves paths with its component walk instead (the path that ELVM_WASI_PATH_WALK=1
# forces in examples.sh), so both resolvers still run here.
set -u
B=${B:-build}
LOGS=$B/tests/memcheck
rm -rf "$LOGS"
mkdir -p "$LOGS"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "memcheck: valgrind is not installed" >&2
    exit 1
fi
WRAP=$LOGS/elvm
cat >"$WRAP" <<EOS
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
    --log-file="$LOGS/vg.%p" "$PWD/$B/elvm-dyn" "\$@"
EOS
chmod +x "$WRAP"

ELVM=$WRAP B=$B sh "$(dirname "$0")/examples.sh"
rc=$?

# every log: empty, or only valgrind's notice about openat2
unexpected=0
for f in "$LOGS"/vg.*; do
    [ -f "$f" ] || continue
    if grep -v -e 'unhandled amd64-linux syscall: 437' -e 'You may be able to write your own handler' \
        -e 'README_MISSING_SYSCALL_OR_IOCTL' -e 'Nevertheless we consider this a bug' \
        -e 'valgrind.org/support/bug_reports' "$f" | grep -q .; then
        echo "memcheck: $f:"
        head -n 30 "$f"
        unexpected=$((unexpected + 1))
    fi
done
nlogs=$(ls "$LOGS"/vg.* 2>/dev/null | wc -l)
echo "memcheck: $nlogs elvm processes under valgrind, $unexpected with findings"
[ "$rc" -eq 0 ] && [ "$unexpected" -eq 0 ] && [ "$nlogs" -gt 50 ]
