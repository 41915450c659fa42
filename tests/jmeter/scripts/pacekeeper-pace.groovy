// pacekeeper pacing — use as a JSR223 PreProcessor (language groovy, "Cache compiled script"
// on) on the samplers that share the rate limit. Asks the engine's pacer (shared by all threads)
// for this request's slot and sleeps until it; the ticket goes to the retry PostProcessor in the
// variable pacekeeper_ticket. See pacekeeper-lib.groovy (set -Jpacekeeper.wasm=...). Parameters:
// the bucket's name (empty: "default"); the retry PostProcessor of the same samplers names the
// same bucket.
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
long waited = pk.pace(bucketName, vars)
vars.put('pacekeeper_paced_ms', String.valueOf(waited))
