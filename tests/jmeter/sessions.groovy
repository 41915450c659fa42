// The scripted pacer sessions (tests/vectors/sessions.json) replayed under Chicory, through the
// same PacekeeperAbi class the JMeter scripts use (pacekeeper-lib.groovy), with Chicory's
// interpreter and its compiler: every step's expected action checked exactly.
// Run by jmeter.test.mjs:
//   java -cp "$JMETER_HOME/lib/*:$JMETER_HOME/lib/ext/*" groovy.ui.GroovyMain \
//     tests/jmeter/sessions.groovy WASM SCRIPTS_DIR SESSIONS_JSON
// Prints one line per engine ("<engine>: <n> sessions, <m> steps, <f> failures") and exits 1 on
// any failure.
import groovy.json.JsonSlurper

import java.nio.charset.StandardCharsets

String wasm = args[0], scripts = args[1], vectors = args[2]
def doc = new JsonSlurper().parse(new File(vectors))
assert doc.kind == 'sessions'
assert doc.cases.size() > 0: 'no session cases'

/** Numbers as longs, maps sorted: a JSON value compared by content. */
def norm
norm = { v ->
    if (v instanceof Map) return new TreeMap(v.collectEntries { k, x -> [(k): norm(x)] })
    if (v instanceof List) return v.collect { norm(it) }
    if (v instanceof Number) return ((Number) v).longValue()
    v
}

int failures = 0
for (String compiler : ['false', 'true']) {
    def props = ['pacekeeper.wasm': wasm, 'pacekeeper.compiler': compiler] as Properties
    def pk = new GroovyShell(this.class.classLoader, new Binding([props: props])).evaluate(new File(scripts, 'pacekeeper-lib.groovy'))
    def a = pk.abi
    def fLearnt = a.instance.export('pk_pacer_learnt')
    List<String> never = a.vocabulary('neverReasons')
    /** An answer ([action, ticket, until|at, attempt(s)|capacity, reason]) in the vectors' shape. */
    def asJson = { List r ->
        String action = r[0]
        switch (action) {
            case 'go': return [action: action, ticket: r[1]]
            case 'wait': return [action: action, ticket: r[1], until: r[2]]
            case 'never': return [action: action, reason: never[(int) r[4]], capacity: r[3]]
            case 'done': return [action: action]
            case 'retry': return [action: action, at: r[2], attempt: r[3], reason: a.retryReasons[(int) r[4]]]
            case 'give_up': return [action: action, reason: a.giveUpReasons[(int) r[4]], attempts: r[3]]
            default: return [unexpected: r]
        }
    }
    /** The shell's error ("pacekeeper: code: message") as the vectors' {error: code}. */
    def attempt = { Closure c ->
        try {
            c()
        } catch (IllegalArgumentException e) {
            def m = e.message =~ /^pacekeeper: ([a-z_]+): /
            m.find() ? [error: m.group(1)] : [exception: e.message]
        }
    }
    int steps = 0, failed = 0
    for (def c : doc.cases) {
        long h = a.pacerNew(groovy.json.JsonOutput.toJson(c.config))
        c.steps.eachWithIndex { s, int i ->
            steps++
            long now = (s.now ?: 0) as long
            byte[] key = ((s.key ?: '') as String).getBytes(StandardCharsets.UTF_8)
            def got
            switch (s.op) {
                case 'begin':
                    got = attempt { asJson(a.begin(h, key, (s.containsKey('cost') ? s.cost : 1) as long, now)) }
                    break
                case 'resume':
                    got = attempt { asJson(a.resume(h, s.ticket as long, now)) }
                    break
                case 'cancel':
                    got = attempt {
                        a.check(a.fCancel.apply(h, s.ticket as long)[0])
                        [action: 'cancelled']
                    }
                    break
                case 'finish':
                    def r = s.response
                    int status = r == null ? 0 : r.status as int
                    String block = r == null ? '' : r.headers.collect { "${it[0]}: ${it[1]}\r\n" }.join('')
                    byte[] body = ((r?.body ?: '') as String).getBytes(StandardCharsets.UTF_8)
                    got = attempt { asJson(a.finish(h, s.ticket as long, status, block.getBytes(StandardCharsets.UTF_8), body, now)) }
                    break
                case 'learnt':
                    got = attempt {
                        synchronized (a) {
                            long[] k = a.put(key)
                            long code = a.check(fLearnt.apply(h, k[0], k[1], (long) a.out)[0])
                            def n = { int slot -> (long) a.mem.readDouble(a.out + 8 * slot) }
                            code == -1 ? null : [amount: n(0), period_ms: n(1), burst: n(2)]
                        }
                    }
                    break
                default:
                    got = [unknownOp: s.op]
            }
            if (norm(got) != norm(s.expect)) {
                failed++
                System.err.println("${pk.engine}: ${c.name} step ${i} (${s.op} at ${s.now}): expected ${s.expect}, got ${got}")
            }
        }
        a.check(a.instance.export('pk_pacer_free').apply(h)[0])
    }
    println("${pk.engine}: ${doc.cases.size()} sessions, ${steps} steps, ${failed} failures")
    failures += failed
    if (steps < 100) {
        System.err.println("only ${steps} steps")
        failures++
    }
}
System.exit(failures == 0 ? 0 : 1)
