// pacekeeper pacing — use as a JSR223 PreProcessor (language groovy, "Cache compiled script"
// on) on the samplers that share the rate limit. Waits for this thread's slot in the bucket
// shared by all threads (see pacekeeper-lib.groovy; set -Jpacekeeper.wasm=... and the limit
// with pacekeeper.amount / pacekeeper.period_ms / pacekeeper.burst). Parameters: the bucket's
// name (empty: "default"); the retry PostProcessor of the same samplers names the same bucket.
def pk = props.get('pacekeeper')
if (pk == null) {
    synchronized (props) {
        pk = props.get('pacekeeper')
        if (pk == null) {
            def lib = new File(new File(FileName).getAbsoluteFile().getParentFile(), 'pacekeeper-lib.groovy')
            pk = new GroovyShell(this.class.classLoader, new Binding([props: props])).evaluate(lib)
            props.put('pacekeeper', pk)
            log.info("pacekeeper: loaded ${props.getProperty('pacekeeper.wasm')} (Chicory ${pk.engine})")
        }
    }
}
String bucketName = (Parameters ?: '').trim() ?: 'default' // the bucket's name
long waited = pk.pace(bucketName)
vars.put('pacekeeper_paced_ms', String.valueOf(waited))
