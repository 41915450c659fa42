// pacekeeper for JMeter: the shared part of pacekeeper-pace.groovy (JSR223 PreProcessor) and
// pacekeeper-retry.groovy (JSR223 PostProcessor). Evaluated ONCE per test run by whichever of the
// two runs first; the object it returns is kept in the JMeter property "pacekeeper" and shared by
// every thread.
//
// - The plain WebAssembly module (pacekeeper_abi.wasm, see abi/README.md) is parsed
//   once with Chicory (com.dylibso.chicory); each JMeter thread gets its own Instance (an
//   instance is not thread-safe) through a ThreadLocal.
// - The engine is pure, so the pacing shared by all threads needs no shared instance: the
//   bucket's whole state is one number (its TAT) kept in an AtomicLong, and every thread applies
//   the module's step in a compare-and-set loop. A 429 seen by any thread blocks all of them
//   until the server's time (blockedUntil, another AtomicLong).
//
// Buckets have names (the Parameters field of the JSR223 element; "default" when empty), so
// samplers that hit different rate limits (tokens, tenants, APIs) pace separately.
//
// JMeter properties read (all optional except pacekeeper.wasm); pacekeeper.NAME.amount etc.
// configure the bucket NAME and fall back to pacekeeper.amount etc.:
//   pacekeeper.wasm          path of pacekeeper_abi.wasm
//   pacekeeper.amount        tokens per period of the client-side bucket   (default 5)
//   pacekeeper.period_ms     the period in ms                               (default 1000)
//   pacekeeper.burst         the bucket's capacity                          (default = amount)
//   pacekeeper.cost          tokens per request                             (default 1)
//   pacekeeper.max_attempts  attempts per sample, the first included        (default 8)
//   pacekeeper.compiler      false: use Chicory's interpreter even when com.dylibso.chicory:compiler
//                            is on the classpath (by default the module is compiled to JVM bytecode)
//   pacekeeper.base_ms, pacekeeper.cap_ms, pacekeeper.jitter (0 none, 1 full, 2 equal,
//   3 decorrelated), pacekeeper.deadline_ms, pacekeeper.hint_spread_percent: backoff policy
//   fields (defaults: the engine's)

import com.dylibso.chicory.runtime.ExportFunction
import com.dylibso.chicory.runtime.Instance
import com.dylibso.chicory.runtime.Memory
import com.dylibso.chicory.wasm.Parser
import com.dylibso.chicory.wasm.WasmModule
import org.apache.jmeter.samplers.SampleResult

import java.nio.charset.StandardCharsets
import java.util.concurrent.ThreadLocalRandom
import java.util.concurrent.atomic.AtomicLong
import java.util.function.LongBinaryOperator

/** One Chicory instance of the module and its scratch buffers; used by one thread only. */
class PacekeeperAbi {
    static final int READING = 13, POLICY = 16, STATE = 8, OUT = 3
    final Instance instance
    final Memory mem
    final ExportFunction fAlloc, fFree, fRetry, fStep, fObserve, fStateInit, fPolicyDefault, fLastError
    final int out, state, policy, err
    int buf = 0, bufCap = 0

    PacekeeperAbi(WasmModule module, java.util.function.Function machineFactory) {
        def builder = Instance.builder(module)
        if (machineFactory != null) builder = builder.withMachineFactory(machineFactory)
        instance = builder.build()
        mem = instance.memory()
        fAlloc = instance.export('pk_alloc')
        fFree = instance.export('pk_free')
        fRetry = instance.export('pk_retry')
        fStep = instance.export('pk_bucket_step')
        fObserve = instance.export('pk_bucket_observe')
        fStateInit = instance.export('pk_state_init')
        fPolicyDefault = instance.export('pk_policy_default')
        fLastError = instance.export('pk_last_error')
        long v = instance.export('pk_abi_version').apply()[0]
        if (v != 1) throw new IllegalStateException("pacekeeper: ABI version ${v}, this script speaks 1")
        out = alloc(OUT * 8)
        state = alloc(STATE * 8)
        policy = alloc(POLICY * 8)
        err = alloc(512)
        ensure(16 * 1024)
    }

    int alloc(int len) {
        int p = (int) fAlloc.apply((long) len)[0]
        if (p == 0) throw new IllegalStateException("pacekeeper: pk_alloc(${len}) failed")
        p
    }

    void ensure(int len) {
        if (len <= bufCap) return
        if (buf != 0) fFree.apply((long) buf, (long) bufCap)
        bufCap = Math.max(len, bufCap * 2)
        buf = alloc(bufCap)
    }

    /** Throws on an error code (≤ −100) with the module's message. */
    long check(long code) {
        if (code <= -100) {
            int n = (int) Math.min(fLastError.apply((long) err, 512L)[0], 512L)
            throw new IllegalArgumentException('pacekeeper: ' + mem.readString(err, n))
        }
        code
    }

    /** Copies headers then body into the scratch buffer; returns [hPtr, hLen, bPtr, bLen]. */
    long[] put(byte[] headers, byte[] body) {
        ensure(headers.length + body.length + 1)
        mem.write(buf, headers)
        mem.write(buf + headers.length, body)
        [buf, headers.length, buf + headers.length, body.length] as long[]
    }

    void initPolicy(Map<String, Long> overrides) {
        fPolicyDefault.apply((long) policy)
        def index = [base_ms: 0, multiplier_milli: 1, cap_ms: 2, jitter: 3, max_attempts: 4,
                     deadline_ms: 5, retry_network_errors: 6, hint_spread_percent: 7, max_wait_ms: 8]
        overrides.each { k, v -> mem.writeLong(policy + 8 * index[k], v) }
    }
}

/** A client-side bucket shared by every thread: its whole state is one number (the TAT). */
class PacekeeperBucket {
    final String name
    final int amount, burst, cost
    final long periodMs
    /** The bucket's TAT, advanced with compare-and-set; and the time before which nobody sends. */
    final AtomicLong tat = new AtomicLong(0)
    final AtomicLong blockedUntil = new AtomicLong(0)

    PacekeeperBucket(String name, Properties props) {
        this.name = name
        def get = { String k, String dflt ->
            props.getProperty("pacekeeper.${name}.${k}".toString()) ?: props.getProperty("pacekeeper.${k}".toString()) ?: dflt
        }
        amount = get('amount', '5') as int
        periodMs = get('period_ms', '1000') as long
        burst = get('burst', "${amount}") as int
        cost = get('cost', '1') as int
    }
}

class Pacekeeper {
    final WasmModule module
    final Properties props
    final Map<String, Long> policy = [:]
    final Map<String, PacekeeperBucket> buckets = new java.util.concurrent.ConcurrentHashMap<>()
    final AtomicLong retries = new AtomicLong(0), giveUps = new AtomicLong(0)
    final ThreadLocal<PacekeeperAbi> abi
    /** Chicory's compiler (wasm to JVM bytecode, once), when on the classpath; else its interpreter. */
    final java.util.function.Function machineFactory
    final String engine

    Pacekeeper(Properties props) {
        this.props = props
        String path = props.getProperty('pacekeeper.wasm')
        if (!path) throw new IllegalArgumentException('pacekeeper: set the JMeter property pacekeeper.wasm (-Jpacekeeper.wasm=/path/pacekeeper_abi.wasm)')
        module = Parser.parse(new File(path))
        ['base_ms', 'cap_ms', 'jitter', 'max_attempts', 'deadline_ms', 'hint_spread_percent'].each { k ->
            String v = props.getProperty('pacekeeper.' + k)
            if (v) policy[k] = v as long
        }
        java.util.function.Function factory = null
        if (props.getProperty('pacekeeper.compiler', 'true') != 'false') {
            try {
                factory = Class.forName('com.dylibso.chicory.compiler.MachineFactoryCompiler').compile(module)
            } catch (ClassNotFoundException ignored) {
                // com.dylibso.chicory:compiler is not in lib/: interpret
            }
        }
        machineFactory = factory
        engine = factory != null ? 'compiler' : 'interpreter'
        def m = module
        def p = policy
        abi = ThreadLocal.withInitial({ def a = new PacekeeperAbi(m, factory); a.initPolicy(p); a })
    }

    /** The bucket called `name` (created on first use from the pacekeeper[.name].* properties). */
    PacekeeperBucket bucket(String name) {
        PacekeeperBucket b = buckets.get(name)
        if (b != null) return b
        b = new PacekeeperBucket(name, props)
        PacekeeperAbi a = abi.get() // fail fast on a bad configuration
        a.check(a.fStep.apply(0L, (long) b.amount, b.periodMs, (long) b.burst, (long) b.cost, 0L, 0L, (long) a.out)[0])
        PacekeeperBucket had = buckets.putIfAbsent(name, b)
        had ?: b
    }

    static void sleepMs(long ms) {
        if (ms > 0) Thread.sleep(ms)
    }

    /**
     * Waits for this thread's slot in the shared bucket: reserves the earliest slot with a
     * compare-and-set of the TAT, sleeps until it, and starts over when a 429 seen meanwhile
     * by another thread blocked everyone past it. Returns the ms waited.
     */
    long pace(String name) {
        PacekeeperBucket b = bucket(name)
        PacekeeperAbi a = abi.get()
        long start = System.currentTimeMillis()
        for (int round = 0; round < 10_000; round++) {
            long now = System.currentTimeMillis()
            long blocked = b.blockedUntil.get()
            if (now < blocked) {
                sleepMs(blocked - now)
                continue
            }
            long old = b.tat.get()
            long wait = a.check(a.fStep.apply(old, (long) b.amount, b.periodMs, (long) b.burst, (long) b.cost, now, 1L, (long) a.out)[0])
            if (wait == -2) throw new IllegalArgumentException("pacekeeper: cost ${b.cost} exceeds the burst ${b.burst}")
            if (!b.tat.compareAndSet(old, a.mem.readLong(a.out))) continue // another thread moved it: again
            sleepMs(wait)
            if (System.currentTimeMillis() >= b.blockedUntil.get()) return System.currentTimeMillis() - start
        }
        throw new IllegalStateException('pacekeeper: no slot after 10000 rounds')
    }

    /** Tells the shared bucket about a response (a 429 blocks every thread until its time). */
    void observe(PacekeeperBucket b, PacekeeperAbi a, int status, long[] hb, long now) {
        while (true) {
            long old = b.tat.get()
            long wait = a.check(a.fObserve.apply(old, (long) b.amount, b.periodMs, (long) b.burst, (long) status,
                    hb[0], hb[1], hb[2], hb[3], now, (long) a.out)[0])
            if (b.tat.compareAndSet(old, a.mem.readLong(a.out))) {
                if (wait >= 0) b.blockedUntil.accumulateAndGet(now + wait, { x, y -> Math.max(x, y) } as LongBinaryOperator)
                return
            }
        }
    }

    static int statusOf(SampleResult r) {
        String c = r.getResponseCode()
        (c != null && c ==~ /[1-5]\d\d/) ? (c as int) : 0 // "Non HTTP response code: ..." is a network error
    }

    /**
     * After a sample: asks the engine what to do with its response, waits as it decides (the
     * server's Retry-After is a floor), paces, re-runs the sampler, and repeats until it
     * succeeds or the engine gives up. The final attempt's result is copied into `prev`.
     * Returns the number of attempts.
     */
    int retry(String name, def sampler, SampleResult prev, def log) {
        PacekeeperBucket b = bucket(name)
        PacekeeperAbi a = abi.get()
        a.check(a.fStateInit.apply((long) a.state, System.currentTimeMillis(), ThreadLocalRandom.current().nextLong())[0])
        SampleResult r = prev
        int attempts = 1
        String gaveUp = null
        while (true) {
            int status = statusOf(r)
            byte[] headers = (r.getResponseHeaders() ?: '').getBytes(StandardCharsets.UTF_8)
            byte[] body = status == 429 ? (r.getResponseData() ?: new byte[0]) : new byte[0]
            if (body.length > 65536) body = Arrays.copyOf(body, 65536)
            long[] hb = a.put(headers, body)
            long now = System.currentTimeMillis()
            if (status != 0) observe(b, a, status, hb, now)
            long d = a.check(a.fRetry.apply((long) a.policy, (long) a.state, (long) status, hb[0], hb[1], hb[2], hb[3], now)[0])
            if (d == -1) break // done: a success
            if (d < -1) {
                String why = [(-2L): 'not_retryable', (-3L): 'max_attempts', (-4L): 'deadline',
                              (-5L): 'retry_budget', (-6L): 'wait_too_long'][d]
                if (d != -2) { // a status not worth retrying is left as it is
                    giveUps.incrementAndGet()
                    gaveUp = why
                    log.warn("pacekeeper: gave up after ${attempts} attempts (${why}), last status ${r.getResponseCode()}")
                }
                break
            }
            retries.incrementAndGet()
            sleepMs(d)
            pace(name)
            r = sampler.sample(null)
            attempts++
        }
        if (!r.is(prev)) {
            prev.setResponseCode(r.getResponseCode())
            prev.setResponseMessage(r.getResponseMessage())
            prev.setResponseHeaders(r.getResponseHeaders())
            prev.setResponseData(r.getResponseData())
            prev.setContentType(r.getContentType())
            prev.setDataType(r.getDataType())
            prev.setSuccessful(r.isSuccessful())
        }
        if (gaveUp != null) {
            prev.setSuccessful(false)
            prev.setResponseMessage("${prev.getResponseMessage()} (pacekeeper gave up: ${gaveUp} after ${attempts} attempts)")
        }
        attempts
    }
}

new Pacekeeper(props)
