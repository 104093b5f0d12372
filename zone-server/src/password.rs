//! Password hashing: argon2id (RFC 9106) in PHC string form, computed on a
//! fixed pool of worker threads that each keep one memory block.
//!
//! Every login and `?grplogin` costs one hash of `memory_kib` KiB. Run on
//! Tokio's blocking pool, a burst of them allocates one block per request and
//! glibc keeps the freed blocks (issue 9: 200 concurrent wrong logins left
//! 7.5 GiB resident). Here at most `workers` hashes run at once, each into the
//! block its thread keeps, so hashing memory is `workers × memory_kib` however
//! large the burst; at most `queue` more wait, and the rest are refused at
//! once with [`PasswordError::Busy`].

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use config::PasswordHashing;
use parking_lot::Mutex;
use thiserror::Error;
use tokio::sync::oneshot;

/// The largest memory cost a stored hash may ask for, in KiB (1 GiB): a hash
/// beyond it is refused as unreadable rather than allocated.
const MAX_MEMORY_KIB: u32 = 1 << 20;

/// Why a password could not be hashed or checked.
#[derive(Debug, Error)]
pub enum PasswordError {
    /// Every hasher is busy and the queue is full; try again in a moment.
    #[error("the zone is busy; try again in a moment")]
    Busy,
    /// The pool has stopped (the zone is shutting down).
    #[error("the password hashers have stopped")]
    Stopped,
    /// Bad parameters, or a stored hash that cannot be read.
    #[error("password hashing: {0}")]
    Hash(String),
}

impl From<argon2::Error> for PasswordError {
    fn from(error: argon2::Error) -> PasswordError {
        PasswordError::Hash(error.to_string())
    }
}

impl From<argon2::password_hash::Error> for PasswordError {
    fn from(error: argon2::password_hash::Error) -> PasswordError {
        PasswordError::Hash(error.to_string())
    }
}

/// A worker's memory: the blocks of the last hash, kept for the next.
#[derive(Debug)]
pub struct Memory {
    blocks: Vec<Block>,
    /// Blocks kept between jobs: the configured cost. A stored hash of a higher
    /// cost grows the buffer for one job only.
    keep: usize,
}

impl Memory {
    fn new(keep_kib: u32) -> Memory {
        Memory { blocks: Vec::new(), keep: keep_kib as usize }
    }

    /// `count` blocks, growing the buffer if needed.
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.blocks.len() < count {
            self.blocks.resize(count, Block::default());
        }
        &mut self.blocks[..count]
    }

    /// Gives back what a costlier-than-configured hash took.
    fn trim(&mut self) {
        if self.blocks.len() > self.keep {
            self.blocks.truncate(self.keep);
            self.blocks.shrink_to_fit();
        }
    }
}

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// A fixed pool of hashing threads with a bounded queue. Cheap to clone;
/// the threads end when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct HashPool {
    jobs: SyncSender<Job>,
    /// One permit per job running or waiting (`workers + queue`): a job
    /// beyond them is refused, however soon the threads are scheduled.
    slots: Arc<tokio::sync::Semaphore>,
    workers: usize,
}

impl HashPool {
    /// `workers` threads (at least one), each keeping `keep_kib` KiB of
    /// memory between hashes, and room for `queue` waiting jobs.
    ///
    /// # Panics
    /// When the OS cannot start a thread (at start-up only).
    pub fn new(workers: usize, queue: usize, keep_kib: u32) -> HashPool {
        let workers = workers.max(1);
        let (jobs, receiver) = sync_channel::<Job>(workers + queue);
        let slots = Arc::new(tokio::sync::Semaphore::new(workers + queue));
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..workers {
            let receiver = receiver.clone();
            #[allow(clippy::expect_used)]
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || work(&receiver, Memory::new(keep_kib)))
                .expect("cannot start a password hashing thread");
        }
        HashPool { jobs, slots, workers }
    }

    /// The pool `limits` asks for: `password_hashers` threads (`0`: one per
    /// core) and a queue of `password_queue`.
    pub fn for_zone(limits: &config::Limits, hashing: PasswordHashing) -> HashPool {
        let workers = match limits.password_hashers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        HashPool::new(workers, limits.password_queue, hashing.memory_kib)
    }

    /// How many hashes may run at once.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `job` on a worker with its memory and returns its result.
    ///
    /// # Errors
    /// [`PasswordError::Busy`] at once when the queue is full;
    /// [`PasswordError::Stopped`] when the pool has gone.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let Ok(slot) = self.slots.clone().try_acquire_owned() else { return Err(PasswordError::Busy) };
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let done = job(memory);
            // Free before answering, so the next try finds room.
            drop(slot);
            let _ = reply.send(done);
        });
        match self.jobs.try_send(job) {
            Ok(()) => result.await.map_err(|_| PasswordError::Stopped),
            Err(TrySendError::Full(_)) => Err(PasswordError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(PasswordError::Stopped),
        }
    }

    /// A new argon2id hash of `password` at cost `cost`, in PHC form.
    ///
    /// # Errors
    /// [`PasswordError::Busy`], or bad parameters.
    pub async fn hash(&self, password: &str, cost: PasswordHashing) -> Result<String, PasswordError> {
        let password = password.to_owned();
        self.run(move |memory| hash_with(memory, &password, cost)).await?
    }

    /// Whether `password` matches the PHC hash `phc`.
    ///
    /// # Errors
    /// [`PasswordError::Busy`], or a hash that cannot be read.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError> {
        let (password, phc) = (password.to_owned(), phc.to_owned());
        self.run(move |memory| verify_with(memory, &password, &phc)).await?
    }
}

fn work(receiver: &Mutex<Receiver<Job>>, mut memory: Memory) {
    loop {
        // One worker waits on the channel at a time; the others on the lock.
        let job = receiver.lock().recv();
        let Ok(job) = job else { return };
        job(&mut memory);
        memory.trim();
    }
}

/// Hashes `password` at `cost` with a new random salt, using `memory`.
///
/// # Errors
/// Parameters outside argon2's bounds.
pub fn hash_with(
    memory: &mut Memory,
    password: &str,
    cost: PasswordHashing,
) -> Result<String, PasswordError> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)?;
    let salt = SaltString::generate(&mut OsRng);
    let output =
        compute(memory, Algorithm::Argon2id, Version::V0x13, params.clone(), password, salt.as_salt())?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Checks `password` against the PHC hash `phc`, using `memory`; the
/// comparison takes the same time wherever the outputs differ.
///
/// # Errors
/// A hash that is not argon2 in PHC form, or asks for more than 1 GiB.
pub fn verify_with(memory: &mut Memory, password: &str, phc: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(phc)?;
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed.version.map(Version::try_from).transpose()?.unwrap_or_default();
    let params = Params::try_from(&parsed)?;
    if params.m_cost() > MAX_MEMORY_KIB {
        return Err(PasswordError::Hash(format!("the hash asks for {} KiB of memory", params.m_cost())));
    }
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(PasswordError::Hash("the hash has no salt or output".to_owned()));
    };
    let output = compute(memory, algorithm, version, params, password, salt)?;
    // `Output`'s equality is constant-time.
    Ok(output == expected)
}

/// A hash with its own memory, for one-off use (the `hash-password` command).
///
/// # Errors
/// Parameters outside argon2's bounds.
pub fn hash(password: &str, cost: PasswordHashing) -> Result<String, PasswordError> {
    hash_with(&mut Memory::new(0), password, cost)
}

fn compute(
    memory: &mut Memory,
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &str,
    salt: Salt<'_>,
) -> Result<Output, PasswordError> {
    let mut salt_buffer = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buffer)?;
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let blocks = memory.blocks(params.block_count());
    let argon2 = Argon2::new(algorithm, version, params);
    Ok(Output::init_with(length, |out| {
        Ok(argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, &mut *blocks)?)
    })?)
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordVerifier;

    use super::*;

    const CHEAP: PasswordHashing = PasswordHashing { memory_kib: 64, iterations: 1, parallelism: 1 };

    #[test]
    fn hashes_are_standard_argon2id_and_verify() {
        let mut memory = Memory::new(64);
        let hash = hash_with(&mut memory, "secret", CHEAP).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        // The argon2 crate's own verifier agrees, so hashes stay portable.
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default().verify_password(b"secret", &parsed).is_ok());
        assert!(verify_with(&mut memory, "secret", &hash).unwrap());
        assert!(!verify_with(&mut memory, "Secret", &hash).unwrap());
        // And a hash made by the argon2 crate verifies here.
        let theirs = argon2::password_hash::PasswordHasher::hash_password(
            &Argon2::default(),
            b"pw",
            &SaltString::generate(&mut OsRng),
        )
        .unwrap()
        .to_string();
        assert!(verify_with(&mut memory, "pw", &theirs).unwrap());
        assert!(verify_with(&mut memory, "pw", "not a hash").is_err());
    }

    #[test]
    fn a_costly_stored_hash_does_not_leave_its_memory_behind() {
        let mut memory = Memory::new(64);
        let costly = hash("pw", PasswordHashing { memory_kib: 1024, iterations: 1, parallelism: 1 }).unwrap();
        assert!(verify_with(&mut memory, "pw", &costly).unwrap());
        memory.trim();
        assert_eq!(memory.blocks.capacity(), 64);
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let pool = HashPool::new(1, 1, 64);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        // The only worker is held until released.
        let held = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(move |_| {
                    let _ = started.send(());
                    let _ = gate.recv();
                })
                .await
            }
        });
        running.await.unwrap();
        // One job fits in the queue; the next is refused at once.
        let queued = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|_| ()).await }
        });
        while pool.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(pool.hash("pw", CHEAP).await, Err(PasswordError::Busy)));
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        queued.await.unwrap().unwrap();
        // Once the worker is free, hashing works again.
        assert!(pool.verify("pw", &pool.hash("pw", CHEAP).await.unwrap()).await.unwrap());
    }
}
