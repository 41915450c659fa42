// pacekeeper for JMeter: the shared part of pacekeeper-pace.groovy (JSR223 PreProcessor) and
// pacekeeper-retry.groovy (JSR223 PostProcessor). Evaluated ONCE per test run by whichever of the
// two runs first; the object it returns is kept in the JMeter property "pacekeeper" and shared by
// every thread.
//
// A thin I/O shell over the engine's pacer (pk_pacer_* in pacekeeper_abi.wasm, see
// abi/README.md): the scripts read the clock, sleep, re-run the sampler and hand each response's
// status, headers and body to the pacer; the pacer decides when to send, wait, retry or give up
// (the server's Retry-After and rate-limit headers, in-flight requests, FIFO order of waiting
// threads, backoff with jitter, the retry budget...). No rule of the policy is written here.
//
// - The module is parsed once with Chicory (com.dylibso.chicory) and instantiated once; its
//   pacers are shared by every thread, so every call goes through one lock (a call takes
//   microseconds; threads sleep outside the lock).
// - Buckets have names (the Parameters field of the JSR223 element; "default" when empty): one
//   pacer per name, configured from the pacekeeper[.NAME].* properties. Samplers that share a
//   rate limit (a token, tenant or API) share a bucket name.
//
// JMeter properties read (all optional except pacekeeper.wasm); pacekeeper.NAME.x configures
// the bucket NAME and falls back to pacekeeper.x:
//   pacekeeper.wasm          path of pacekeeper_abi.wasm
//   pacekeeper.config        the whole pacer configuration as the engine's JSON (PacerConfig:
//                            limits, preset, learn, backoff, retry_budget, ...); when set, the
//                            properties below are not read
//   pacekeeper.amount        a configured limit: amount requests per period_ms (none: the pacer
//   pacekeeper.period_ms     learns the rate from the response headers, probing one request at
//   pacekeeper.burst         a time until it knows it); period default 1000, burst default amount
//   pacekeeper.preset        genesys: start from Genesys Cloud's 300 requests/min per token
//   pacekeeper.learn         false: do not learn rates from headers            (default true)
//   pacekeeper.cost          tokens per request                                (default 1)
//   pacekeeper.max_attempts, pacekeeper.base_ms, pacekeeper.cap_ms, pacekeeper.jitter
//   (none, full, equal, decorrelated or 0..3), pacekeeper.deadline_ms,
//   pacekeeper.hint_spread_percent: the backoff policy (defaults: the engine's)
//   pacekeeper.seed          the jitter's seed                                 (default: random)
//   pacekeeper.compiler      false: use Chicory's interpreter even when com.dylibso.chicory:compiler
//                            is on the classpath (by default the module is compiled to JVM bytecode)

import com.dylibso.chicory.runtime.ExportFunction
import com.dylibso.chicory.runtime.Instance
import com.dylibso.chicory.runtime.Memory
import com.dylibso.chicory.wasm.Parser
import com.dylibso.chicory.wasm.WasmModule
import org.apache.jmeter.samplers.SampleResult

import java.nio.charset.StandardCharsets
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.ThreadLocalRandom
import java.util.concurrent.atomic.AtomicLong

/**
 * The module's instance and its scratch buffers. Not thread-safe by itself: every method is
 * synchronized, so the pacers inside it are shared safely by all threads.
 */
class PacekeeperAbi {
    /** The numbers of an answer (f64 at `out`, NaN for none): ticket, until|at, attempt(s)|capacity, reason. */
    static final int OUT_SLOTS = 4
    final Instance instance
    final Memory mem
    final ExportFunction fAlloc, fFree, fLastError, fVocabulary
    final ExportFunction fNew, fBegin, fResume, fFinish, fCancel, fOpen
    final int out, err
    int buf = 0, bufCap = 0
    /** The engine's names, by code (pk_vocabulary): actions, reasons, jitters. */
    final List<String> steps, afters, retryReasons, giveUpReasons, jitters

    PacekeeperAbi(WasmModule module, java.util.function.Function machineFactory) {
        def builder = Instance.builder(module)
        if (machineFactory != null) builder = builder.withMachineFactory(machineFactory)
        instance = builder.build()
        mem = instance.memory()
        fAlloc = instance.export('pk_alloc')
        fFree = instance.export('pk_free')
        fLastError = instance.export('pk_last_error')
        fVocabulary = instance.export('pk_vocabulary')
        fNew = instance.export('pk_pacer_new')
        fBegin = instance.export('pk_pacer_begin')
        fResume = instance.export('pk_pacer_resume')
        fFinish = instance.export('pk_pacer_finish')
        fCancel = instance.export('pk_pacer_cancel')
        fOpen = instance.export('pk_pacer_open_tickets')
        long v = instance.export('pk_abi_version').apply()[0]
        if (v != 2) throw new IllegalStateException("pacekeeper: ABI version ${v}, this script speaks 2")
        out = alloc(OUT_SLOTS * 8)
        err = alloc(512)
        ensure(16 * 1024)
        steps = vocabulary('steps')
        afters = vocabulary('afters')
        retryReasons = vocabulary('retryReasons')
        giveUpReasons = vocabulary('giveUpReasons')
        jitters = vocabulary('jitters')
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

    /** Copies `a` then `b` into the scratch buffer; returns [aPtr, aLen, bPtr, bLen]. */
    long[] put(byte[] a, byte[] b = new byte[0]) {
        ensure(a.length + b.length + 1)
        mem.write(buf, a)
        mem.write(buf + a.length, b)
        [buf, a.length, buf + a.length, b.length] as long[]
    }

    synchronized List<String> vocabulary(String name) {
        long[] n = put(name.getBytes(StandardCharsets.UTF_8))
        int len = (int) check(fVocabulary.apply(n[0], n[1], (long) err, 512L)[0])
        mem.readString(err, Math.min(len, 512)).split(',') as List<String>
    }

    synchronized long pacerNew(String configJson) {
        long[] c = put(configJson.getBytes(StandardCharsets.UTF_8))
        check(fNew.apply(c[0], c[1])[0])
    }

    /** The answer of a call that returned `code` (`names` name it): [action, ticket, until|at,
     *  attempt(s)|capacity, reason], null where the action has none. */
    private List answer(long code, List<String> names) {
        List r = [names[(int) check(code)]]
        for (int i = 0; i < OUT_SLOTS; i++) {
            double v = mem.readDouble(out + 8 * i)
            r << (Double.isNaN(v) ? null : (long) v)
        }
        r
    }

    /** pk_pacer_begin: go [.., ticket], wait [.., ticket, until] or never [.., capacity, reason]. */
    synchronized List begin(long pacer, byte[] key, long cost, long now) {
        long[] k = put(key)
        answer(fBegin.apply(pacer, k[0], k[1], cost, now, (long) out)[0], steps)
    }

    synchronized List resume(long pacer, long ticket, long now) {
        answer(fResume.apply(pacer, ticket, now, (long) out)[0], steps)
    }

    /** pk_pacer_finish: done, retry [.., ticket, at, attempt, reason] or give_up [.., attempts, reason]. */
    synchronized List finish(long pacer, long ticket, int status, byte[] headers, byte[] body, long now) {
        long[] hb = put(headers, body)
        List r = answer(fFinish.apply(pacer, ticket, (long) status, hb[0], hb[1], hb[2], hb[3], now, (long) out)[0], afters)
        wakeAll()
        r
    }

    synchronized void cancel(long pacer, long ticket) {
        fCancel.apply(pacer, ticket) // an unknown ticket (already closed) is fine here
        wakeAll()
    }

    // Wake-ups: a finish or a cancel can move booked slots earlier; sleeping threads wake and ask
    // the pacer again instead of sleeping to the slot they were first given.
    final Object wake = new Object()
    volatile long gen = 0

    void wakeAll() {
        synchronized (wake) {
            gen++
            wake.notifyAll()
        }
    }

    /** Sleeps until `at`, or less when woken after `seen` (the wake count read before asking). */
    void sleepUntil(long at, long seen) {
        synchronized (wake) {
            long ms = at - System.currentTimeMillis()
            if (ms > 0 && gen == seen) wake.wait(ms)
        }
    }

    synchronized long openTickets(long pacer) {
        check(fOpen.apply(pacer)[0])
    }
}

class Pacekeeper {
    static final String TICKET_VAR = 'pacekeeper_ticket'
    final WasmModule module
    final Properties props
    final PacekeeperAbi abi
    /** Bucket name → pacer handle. */
    final Map<String, Long> pacers = new ConcurrentHashMap<>()
    final Map<String, Integer> costs = new ConcurrentHashMap<>()
    final AtomicLong retries = new AtomicLong(0), giveUps = new AtomicLong(0)
    /** Chicory's compiler (wasm to JVM bytecode, once), when on the classpath; else its interpreter. */
    final java.util.function.Function machineFactory
    final String engine

    Pacekeeper(Properties props) {
        this.props = props
        String path = props.getProperty('pacekeeper.wasm')
        if (!path) throw new IllegalArgumentException('pacekeeper: set the JMeter property pacekeeper.wasm (-Jpacekeeper.wasm=/path/pacekeeper_abi.wasm)')
        module = Parser.parse(new File(path))
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
        abi = new PacekeeperAbi(module, factory)
    }

    private String prop(String name, String key) {
        props.getProperty("pacekeeper.${name}.${key}".toString()) ?: props.getProperty("pacekeeper.${key}".toString())
    }

    /** The engine's JSON configuration of the bucket `name`, from the properties. */
    String configJson(String name) {
        String raw = prop(name, 'config')
        if (raw) return raw
        List<String> fields = []
        String amount = prop(name, 'amount')
        if (amount) {
            String burst = prop(name, 'burst') ?: amount
            fields << "\"limits\":[{\"amount\":${amount as long},\"period_ms\":${(prop(name, 'period_ms') ?: '1000') as long},\"burst\":${burst as long}}]"
        }
        String preset = prop(name, 'preset')
        if (preset) fields << "\"preset\":\"${preset.trim()}\""
        String learn = prop(name, 'learn')
        if (learn) fields << "\"learn\":${Boolean.parseBoolean(learn.trim())}"
        List<String> backoff = []
        ['base_ms', 'cap_ms', 'max_attempts', 'deadline_ms', 'hint_spread_percent'].each { k ->
            String v = prop(name, k)
            if (v) backoff << "\"${k}\":${v as long}"
        }
        String jitter = prop(name, 'jitter')
        if (jitter) {
            jitter = jitter.trim()
            if (jitter ==~ /\d+/) jitter = abi.jitters[jitter as int] // 0..3, the engine's order
            backoff << "\"jitter\":\"${jitter}\""
        }
        if (backoff) fields << "\"backoff\":{${backoff.join(',')}}"
        String seed = prop(name, 'seed')
        long s = seed ? (seed as long) : ThreadLocalRandom.current().nextLong(1L << 53)
        fields << "\"seed\":${s}"
        "{${fields.join(',')}}"
    }

    /** The pacer of the bucket `name` (created on first use). */
    long pacer(String name) {
        Long h = pacers.get(name)
        if (h != null) return h
        synchronized (pacers) {
            h = pacers.get(name)
            if (h == null) {
                h = abi.pacerNew(configJson(name))
                costs.put(name, (prop(name, 'cost') ?: '1') as int)
                pacers.put(name, h)
            }
        }
        h
    }

    /** Sleeps and resumes until the pacer says go (woken early when a slot may have moved);
     *  cancels the ticket when interrupted. */
    List untilGo(long h, List r) {
        try {
            long seen = abi.gen
            for (int round = 0; round < 100_000; round++) {
                String action = r[0]
                if (action == 'go') return r
                if (action != 'wait' && action != 'retry') throw new IllegalStateException("pacekeeper: unexpected ${action}")
                abi.sleepUntil(r[2], seen)
                seen = abi.gen
                r = abi.resume(h, r[1], System.currentTimeMillis())
            }
            throw new IllegalStateException('pacekeeper: no slot after 100000 rounds')
        } catch (Throwable t) {
            abi.cancel(h, r[1])
            throw t
        }
    }

    /**
     * Before a sample: asks the pacer for a slot, sleeps until it (resuming as the pacer says)
     * and keeps the ticket in the thread's variables for the PostProcessor. Returns the ms waited.
     */
    long pace(String name, def vars) {
        long h = pacer(name)
        long start = System.currentTimeMillis()
        String stale = vars.get(TICKET_VAR)
        if (stale) abi.cancel(h, stale as long) // a sample whose PostProcessor never ran
        List r = abi.begin(h, name.getBytes(StandardCharsets.UTF_8), costs.get(name), start)
        if (r[0] == 'never')
            throw new IllegalArgumentException("pacekeeper: cost ${costs.get(name)} exceeds the burst ${r[3]} of bucket ${name}")
        r = untilGo(h, r)
        vars.put(TICKET_VAR, String.valueOf(r[1]))
        System.currentTimeMillis() - start
    }

    /** One line: retries, give-ups and the open tickets of every bucket's pacer. */
    String report() {
        String open = pacers.collect { k, h -> "${k}=${abi.openTickets(h)}" }.sort().join(', ')
        "pacekeeper: retries ${retries.get()}, gave up ${giveUps.get()}, open tickets: ${open}"
    }

    static int statusOf(SampleResult r) {
        String c = r.getResponseCode()
        (c != null && c ==~ /[1-5]\d\d/) ? (c as int) : 0 // "Non HTTP response code: ..." is a network error
    }

    /**
     * After a sample: hands its response to the pacer and does what it says — done; retry (sleep,
     * resume until go, re-run the sampler, hand that response over again); give up. The final
     * attempt's result is copied into `prev`. Returns the number of attempts.
     */
    int retry(String name, def sampler, SampleResult prev, def vars, def log) {
        long h = pacer(name)
        String t = vars.get(TICKET_VAR)
        if (!t) throw new IllegalStateException("pacekeeper: no ticket for bucket ${name}: put pacekeeper-pace.groovy as a JSR223 PreProcessor of this sampler, with the same bucket name")
        vars.remove(TICKET_VAR)
        long ticket = t as long
        SampleResult r = prev
        int attempts = 1
        String gaveUp = null
        boolean open = true
        try {
            while (true) {
                int status = statusOf(r)
                byte[] headers = (r.getResponseHeaders() ?: '').getBytes(StandardCharsets.UTF_8)
                // The body is read only for a throttle without a usable header (the Genesys 429).
                byte[] body = status == 429 || status == 503 ? (r.getResponseData() ?: new byte[0]) : new byte[0]
                if (body.length > 65536) body = Arrays.copyOf(body, 65536)
                List a = abi.finish(h, ticket, status, headers, body, System.currentTimeMillis())
                String action = a[0]
                if (action == 'done') { open = false; break }
                if (action == 'give_up') {
                    open = false
                    String why = abi.giveUpReasons[(int) a[4]]
                    if (why != 'not_retryable') { // a status not worth retrying is left as it is
                        giveUps.incrementAndGet()
                        gaveUp = why
                        log.warn("pacekeeper: gave up after ${a[3]} attempts (${why}), last status ${r.getResponseCode()}")
                    }
                    break
                }
                retries.incrementAndGet()
                untilGo(h, a)
                r = sampler.sample(null)
                attempts++
            }
        } finally {
            if (open) abi.cancel(h, ticket) // interrupted or the sampler threw: nothing in flight
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
