# Sourced by .ci/run and ./baton: make JAVA_HOME point at a JDK 25 or newer.
# Keeps JAVA_HOME when it already is one; otherwise looks in the usual Debian/Ubuntu JVM folder and common install
# places (Temurin 25 first).
baton_java_feature() {
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
baton_find_jdk25() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
        v=$(baton_java_feature "$JAVA_HOME")
        if [ -n "$v" ] && [ "$v" -ge 25 ]; then
            return 0
        fi
    fi
    for d in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
        [ -x "$d/bin/javac" ] || continue
        v=$(baton_java_feature "$d")
        if [ -n "$v" ] && [ "$v" -ge 25 ]; then
            export JAVA_HOME="$d"
            return 0
        fi
    done
    echo "Baton builds with JDK 25 or newer, and none was found (JAVA_HOME=${JAVA_HOME:-unset})." >&2
    echo "Install Temurin 25 (https://adoptium.net) and set JAVA_HOME to it." >&2
    return 1
}
baton_find_jdk25 || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
