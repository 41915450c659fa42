// pacekeeper retries — use as a JSR223 PostProcessor (language groovy, "Cache compiled script"
// on) on the samplers the pace PreProcessor paces. Hands the sample's status, headers and body to
// the engine's pacer and does what it says: done; retry (sleep, re-run the sampler, hand the new
// response over); give up. The final attempt's result is left in prev; the attempt count is in
// the variable pacekeeper_attempts. Parameters: the bucket's name (empty: "default"), the same as
// the pace PreProcessor's: a 429 seen by any thread holds every thread of that bucket.
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
int attempts = pk.retry(bucketName, ctx.getCurrentSampler(), prev, vars, log)
vars.put('pacekeeper_attempts', String.valueOf(attempts))
