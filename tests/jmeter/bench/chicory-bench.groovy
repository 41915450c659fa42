// Per-call cost of the plain module under Chicory, interpreter and compiler, as the JMeter
// scripts call it (pacekeeper-lib.groovy's PacekeeperAbi: the pacer behind one lock). Run:
// make bench-jmeter (or java -cp "$JMETER_HOME/lib/*:$JMETER_HOME/lib/ext/*"
// groovy.ui.GroovyMain tests/jmeter/bench/chicory-bench.groovy WASM SCRIPTS_DIR).
import java.nio.charset.StandardCharsets

String wasm = args[0], scripts = args[1]
byte[] key = 'bench'.getBytes(StandardCharsets.UTF_8)
byte[] h = ('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ninin-ratelimit-allowed: 15\r\n' +
        'inin-ratelimit-count: 3\r\ninin-ratelimit-reset: 1\r\nDate: Mon, 23 Nov 2026 19:47:51 GMT\r\n' +
        'Content-Length: 52\r\nConnection: keep-alive\r\n').getBytes(StandardCharsets.UTF_8)
byte[] h429 = 'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\ninin-ratelimit-allowed: 15\r\ninin-ratelimit-count: 15\r\ninin-ratelimit-reset: 1\r\n'.getBytes(StandardCharsets.UTF_8)
byte[] none = new byte[0]

for (String compiler : ['false', 'true']) {
    def props = ['pacekeeper.wasm': wasm, 'pacekeeper.compiler': compiler] as Properties
    long l0 = System.nanoTime()
    def pk = new GroovyShell(this.class.classLoader, new Binding([props: props])).evaluate(new File(scripts, 'pacekeeper-lib.groovy'))
    double loadMs = (System.nanoTime() - l0) / 1e6
    def a = pk.abi
    // A pacer that never waits (a huge configured rate), so each round is begin → go → finish.
    long p = a.pacerNew('{"limits":[{"amount":1000000,"period_ms":1000}],"backoff":{"jitter":"none"}}')
    long now = 1_700_000_000_000L // a second later each round: the server's quota is back
    int n = 20_000
    def bench = { String name, Closure c ->
        for (int i = 0; i < n; i++) c() // warm-up (JIT)
        long t0 = System.nanoTime()
        for (int i = 0; i < n; i++) c()
        printf('%-12s %-46s %8.2f µs/call%n', pk.engine, name, (System.nanoTime() - t0) / 1e3 / n)
    }
    printf('%-12s %-46s %8.1f ms (parse + compile + instance + vocabularies)%n', pk.engine, 'load', loadMs)
    bench('pk_pacer_begin (go) + pk_pacer_finish (200)') {
        now += 1000
        List r = a.begin(p, key, 1, now)
        if (r[0] != 'go') throw new IllegalStateException("expected go, got ${r}")
        if (a.finish(p, r[1], 200, h, none, now)[0] != 'done') throw new IllegalStateException('expected done')
    }
    bench('pk_pacer_begin + finish (429) + cancel') {
        now += 1000
        long t = a.begin(p, key, 1, now)[1]
        a.finish(p, t, 429, h429, none, now)
        a.cancel(p, t)
    }
    bench('pk_pacer_begin + finish (network error) + cancel') {
        now += 1000
        long t = a.begin(p, key, 1, now)[1]
        a.finish(p, t, 0, none, none, now)
        a.cancel(p, t)
    }
}
