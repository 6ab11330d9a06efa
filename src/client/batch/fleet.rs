//! The replicas a batch is spread over: one tonic balanced channel (each new stream goes to
//! the less loaded of two replicas picked at random), and its membership. A replica whose
//! stream failed is probed with the health service; one that does not answer SERVING (dead,
//! or draining) is taken out of the channel, so later streams go to the others. A replica
//! taken out stays out for the rest of the run: a batch is minutes, a restart is a new pod.

use super::super::health;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;
use tonic::transport::channel::Change;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;

/// How long one health probe may take before its replica counts as gone.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// The service whose health decides: the one a batch calls.
const SERVICE: &str = "tariff.v1.CostImpactService";

/// The balanced channel and who is in it.
pub struct Fleet {
    channel: Channel,
    changes: tokio::sync::mpsc::Sender<Change<String, Endpoint>>,
    live: Mutex<BTreeSet<String>>,
    removed: Mutex<Vec<String>>,
    /// One membership check at a time: several streams failing together probe once.
    checking: tokio::sync::Mutex<()>,
}

impl Fleet {
    /// A channel over `servers` (`host:port` or URLs).
    pub async fn new(servers: &[String]) -> Result<Fleet, String> {
        let (channel, changes) = Channel::balance_channel::<String>(servers.len().max(1) * 2);
        let mut live = BTreeSet::new();
        for server in servers {
            let url = super::super::endpoint_url(server);
            let endpoint = Endpoint::from_shared(url.clone())
                .map_err(|e| format!("--servers {server}: {e}"))?
                .connect_timeout(Duration::from_secs(5))
                .tcp_nodelay(true)
                .http2_keep_alive_interval(Duration::from_secs(10))
                .keep_alive_timeout(Duration::from_secs(10));
            if !live.insert(url.clone()) {
                return Err(format!("--servers names {url} twice"));
            }
            changes
                .send(Change::Insert(url, endpoint))
                .await
                .map_err(|_| "the balanced channel closed".to_string())?;
        }
        Ok(Fleet {
            channel,
            changes,
            live: Mutex::new(live),
            removed: Mutex::default(),
            checking: tokio::sync::Mutex::new(()),
        })
    }

    /// The balanced channel.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Replicas still in the channel.
    pub fn live(&self) -> Vec<String> {
        lock(&self.live).iter().cloned().collect()
    }

    /// Replicas taken out, in the order they left.
    pub fn removed(&self) -> Vec<String> {
        lock(&self.removed).clone()
    }

    /// Completes once no replica is left in the channel (checked every 100 ms): a stream
    /// waiting for a replica then stops waiting.
    pub async fn emptied(&self) {
        while !lock(&self.live).is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Probes every replica still in and takes out those not SERVING. Fails when none is left.
    pub async fn check(&self) -> Result<(), String> {
        let _one = self.checking.lock().await;
        for url in self.live() {
            let status = health::check(&url, SERVICE, PROBE_TIMEOUT).await;
            if matches!(status, Ok(ServingStatus::Serving)) {
                continue;
            }
            let _ = self.changes.send(Change::Remove(url.clone())).await;
            lock(&self.live).remove(&url);
            lock(&self.removed).push(url);
        }
        if lock(&self.live).is_empty() {
            return Err("no replica is left serving".into());
        }
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
