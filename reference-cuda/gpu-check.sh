#!/usr/bin/env bash
# The one-shot GPU check of Baton's reference CUDA binding.
#
#   bash reference-cuda/gpu-check.sh --prepare   on a build machine (JDK 25, Maven wrapper; no GPU needed): builds the
#                                                module and puts a jlink'ed Java runtime and the jars in
#                                                reference-cuda/gpu-bundle/ (ignored by git)
#   bash reference-cuda/gpu-check.sh             on a GPU host (CUDA driver; no JDK, no network): runs the correctness
#                                                tests tagged gpu, then the timings; prints "no GPU: <reason>" and exits
#                                                0 where there is no usable GPU
#
# Options after the no-argument form are passed to the check: --no-tests, --no-bench. --emulate runs the check on the
# fake libcuda built by the module's tests (target/fake-libcuda), to check the check on a machine without a GPU.
# See reference-cuda/README.md for what to copy to the GPU host.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bundle="$here/gpu-bundle"

prepare() {
    if [ -f "$root/.ci/java-home.sh" ]; then
        . "$root/.ci/java-home.sh"
    fi
    : "${JAVA_HOME:?set JAVA_HOME to a JDK 25}"
    echo "gpu-check: building reference-cuda with $JAVA_HOME" >&2
    (cd "$root" && ./mvnw -B -q -DskipTests -pl reference-cuda -am package dependency:build-classpath \
        -Dmdep.includeScope=test -Dmdep.outputFile=target/gpu-check-classpath.txt) >&2
    rm -rf "$bundle"
    mkdir -p "$bundle/lib"
    # The module's jars, its reactor dependencies' jars, and the test dependencies (JUnit platform, jqwik, AssertJ).
    cp "$here"/target/baton-reference-cuda-*.jar "$bundle/lib/"
    tr ':' '\n' < "$here/target/gpu-check-classpath.txt" | while read -r entry; do
        case "$entry" in
            *.jar) cp "$entry" "$bundle/lib/" ;;
            "") ;;
            *) echo "gpu-check: unexpected class path entry $entry" >&2; exit 1 ;;
        esac
    done
    # The JDK modules the jars use (jdeps prints split-package warnings first; the module list is its last line).
    modules="$("$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 \
        "$bundle"/lib/*.jar | grep -v '^Warning' | tail -n 1)"
    echo "gpu-check: jlink $modules" >&2
    "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
        --compress=zip-9 --output "$bundle/runtime"
    # The JVM's symbol table is not needed to run it (Linux distributions ship it stripped too): 5 MiB less to copy.
    if command -v strip >/dev/null 2>&1; then
        strip --strip-unneeded "$bundle/runtime/lib/server/libjvm.so"
    fi
    {
        echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
        echo "runtime: $("$bundle/runtime/bin/java" -version 2>&1 | head -n 1); modules $modules"
    } > "$bundle/BUNDLE.txt"
    echo "gpu-check: bundle $(du -sh "$bundle" | cut -f1), reference-cuda with sources and bundle" \
        "$(du -sh --exclude=target "$here" | cut -f1) (limit 64 MiB)" >&2
    echo "gpu-check: copy $here (with gpu-bundle/) to the GPU host and run: bash reference-cuda/gpu-check.sh" >&2
}

run() {
    local java=""
    if [ -x "$bundle/runtime/bin/java" ]; then
        java="$bundle/runtime/bin/java"
    elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
        java="$JAVA_HOME/bin/java"
    fi
    if [ -z "$java" ] || [ ! -d "$bundle/lib" ]; then
        echo "gpu-check: no bundle at $bundle: run 'bash reference-cuda/gpu-check.sh --prepare' on a build machine" \
            "and copy reference-cuda/ with gpu-bundle/ here" >&2
        exit 2
    fi
    local props=()
    local args=()
    for a in "$@"; do
        if [ "$a" = "--emulate" ]; then
            # The fake the tests built from the current sources (FakeCuda names it after their SHA-256).
            local hash fake
            hash="$(cat "$here/src/main/cuda/baton_kernels.cu" "$here/src/test/cuda/cuda_emu.h" \
                "$here/src/test/cuda/fake_libcuda.cpp" | sha256sum | cut -c1-16)"
            fake="$here/target/fake-libcuda/libbaton-fake-cuda-$hash.so"
            if [ ! -f "$fake" ]; then
                echo "gpu-check: --emulate needs the fake libcuda: run the module's tests first" \
                    "(./mvnw -pl reference-cuda -am test)" >&2
                exit 2
            fi
            props+=("-Dbaton.cuda.library=$fake")
        else
            args+=("$a")
        fi
    done
    cd "$here"
    exec "$java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss4m ${props[@]+"${props[@]}"} \
        -cp "$bundle/lib/*" dev.baton.cuda.check.GpuCheck ${args[@]+"${args[@]}"}
}

case "${1:-}" in
    --prepare) prepare ;;
    -h|--help) sed -n '2,15p' "$0" ;;
    *) run "$@" ;;
esac
