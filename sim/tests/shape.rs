//! The simulator's self-check (the AWS "Exponential Backoff And Jitter" study's shape) and
//! pacekeeper's targets in the contention scenario, measured in the same run.

use pacekeeper_sim::{run, run_seeds, ServerKind, Strategy, Workload};

const RUNS: u64 = 5;

fn contention(s: Strategy) -> pacekeeper_sim::Metrics {
    run_seeds(ServerKind::TokenBucket, s, &Workload::CONTENTION, RUNS)
}

#[test]
fn reproduces_the_aws_study_shape() {
    let none = contention(Strategy::Exponential);
    let full = contention(Strategy::FullJitter);
    let decorrelated = contention(Strategy::DecorrelatedJitter);
    // No jitter is far worse than full jitter: more work and a much later finish.
    assert!(none.calls * 10 >= full.calls * 15, "{none:?} vs {full:?}");
    assert!(
        none.completion_ms >= full.completion_ms * 5,
        "{none:?} vs {full:?}"
    );
    // Decorrelated is close to full jitter (within 25 % on calls, and no slower).
    assert!(
        decorrelated.calls * 4 <= full.calls * 5,
        "{decorrelated:?} vs {full:?}"
    );
    assert!(
        decorrelated.calls * 5 >= full.calls * 4,
        "{decorrelated:?} vs {full:?}"
    );
    assert!(
        decorrelated.completion_ms <= full.completion_ms * 5 / 4,
        "{decorrelated:?} vs {full:?}"
    );
    // Nothing is lost by anyone.
    assert_eq!(none.lost + full.lost + decorrelated.lost, 0);
}

#[test]
fn pacekeeper_meets_the_contention_targets() {
    let pk = contention(Strategy::Pacekeeper);
    let full = contention(Strategy::FullJitter);
    let decorrelated = contention(Strategy::DecorrelatedJitter);
    let oracle = contention(Strategy::Oracle);
    assert!(
        pk.calls <= full.calls,
        "calls: pacekeeper {pk:?}, full jitter {full:?}"
    );
    assert!(
        pk.completion_ms <= decorrelated.completion_ms,
        "completion: pacekeeper {pk:?}, decorrelated {decorrelated:?}"
    );
    assert_eq!((pk.early, pk.lost), (0, 0), "{pk:?}");
    assert_eq!((oracle.throttled, oracle.lost), (0, 0), "{oracle:?}");
}

#[test]
fn pacekeeper_never_retries_early_and_loses_nothing_anywhere() {
    for w in [
        Workload::CONTENTION,
        Workload::TENANTS,
        Workload::SHARED_TOKEN,
    ] {
        for kind in ServerKind::ALL {
            for s in [Strategy::Pacekeeper, Strategy::PacekeeperConfigured] {
                let m = run(kind, s, &w, 1);
                assert_eq!(
                    (m.early, m.lost),
                    (0, 0),
                    "{} / {} / {}: {m:?}",
                    w.name,
                    kind.name(),
                    s.name()
                );
            }
        }
    }
}

#[test]
fn runs_are_deterministic() {
    for s in Strategy::ALL {
        let a = run(ServerKind::Faults, s, &Workload::SHARED_TOKEN, 7);
        assert_eq!(
            a,
            run(ServerKind::Faults, s, &Workload::SHARED_TOKEN, 7),
            "{}",
            s.name()
        );
    }
}
