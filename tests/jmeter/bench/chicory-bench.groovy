// Per-call cost of the plain module under Chicory, interpreter and compiler, as the JMeter
// scripts call it. Run: make bench-jmeter (or java -cp "$JMETER_HOME/lib/*:$JMETER_HOME/lib/ext/*"
// groovy.ui.GroovyMain tests/jmeter/bench/chicory-bench.groovy WASM SCRIPTS_DIR).
import java.nio.charset.StandardCharsets

String wasm = args[0], scripts = args[1]
byte[] h = ('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ninin-ratelimit-allowed: 15\r\n' +
        'inin-ratelimit-count: 3\r\ninin-ratelimit-reset: 1\r\nDate: Mon, 23 Nov 2026 19:47:51 GMT\r\n' +
        'Content-Length: 52\r\nConnection: keep-alive\r\n').getBytes(StandardCharsets.UTF_8)
byte[] h429 = 'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\ninin-ratelimit-allowed: 15\r\ninin-ratelimit-count: 15\r\ninin-ratelimit-reset: 1\r\n'.getBytes(StandardCharsets.UTF_8)

for (String compiler : ['false', 'true']) {
    def props = ['pacekeeper.wasm': wasm, 'pacekeeper.compiler': compiler] as Properties
    long l0 = System.nanoTime()
    def pk = new GroovyShell(this.class.classLoader, new Binding([props: props])).evaluate(new File(scripts, 'pacekeeper-lib.groovy'))
    double loadMs = (System.nanoTime() - l0) / 1e6
    def a = pk.abi.get()
    long i0 = System.nanoTime()
    def extra = a.getClass().newInstance(pk.module, pk.machineFactory)
    double instMs = (System.nanoTime() - i0) / 1e6
    def hb = a.put(h, new byte[0])
    long now = 1_700_000_000_000L
    int n = 20_000
    def bench = { String name, Closure c ->
        for (int i = 0; i < n; i++) c() // warm-up (JIT)
        long t0 = System.nanoTime()
        for (int i = 0; i < n; i++) c()
        printf('%-12s %-40s %8.2f µs/call%n', pk.engine, name, (System.nanoTime() - t0) / 1e3 / n)
    }
    printf('%-12s %-40s %8.1f ms (parse + compile + first instance)%n', pk.engine, 'load', loadMs)
    printf('%-12s %-40s %8.1f ms%n', pk.engine, 'one more instance (per JMeter thread)', instMs)
    bench('pk_bucket_step (reserve)') { a.fStep.apply(0L, 40L, 1000L, 15L, 1L, now, 1L, (long) a.out) }
    bench('pk_bucket_observe (200, 8 headers)') { a.fObserve.apply(0L, 40L, 1000L, 15L, 200L, hb[0], hb[1], hb[2], hb[3], now, (long) a.out) }
    bench('pk_state_init + pk_retry (200)') {
        a.fStateInit.apply((long) a.state, now, 7L)
        a.fRetry.apply((long) a.policy, (long) a.state, 200L, hb[0], hb[1], hb[2], hb[3], now)
    }
    def hb2 = a.put(h429, new byte[0])
    bench('pk_state_init + pk_retry (429)') {
        a.fStateInit.apply((long) a.state, now, 7L)
        a.fRetry.apply((long) a.policy, (long) a.state, 429L, hb2[0], hb2[1], hb2[2], hb2[3], now)
    }
    bench('pace() (CAS + step, no wait)') { pk.bucket('bench').tat.set(0L); pk.pace('bench') }
}
