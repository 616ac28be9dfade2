//! A lock file in the data directory. Servers hold it shared (several may
//! run on one data directory); `restore` needs it exclusively, so it cannot
//! swap the database file under a running server.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::Context;

pub struct DataDirLock {
    _file: File,
}

fn open(data_dir: &Path) -> anyhow::Result<File> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let path = data_dir.join("rumah.lock");
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))
}

impl DataDirLock {
    pub fn shared(data_dir: &Path) -> anyhow::Result<Self> {
        let file = open(data_dir)?;
        file.lock_shared()
            .with_context(|| format!("cannot lock {}", data_dir.display()))?;
        Ok(Self { _file: file })
    }

    pub fn exclusive(data_dir: &Path) -> anyhow::Result<Self> {
        let file = open(data_dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "a rumah server is using {}; stop it before restoring",
                data_dir.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", data_dir.display()))
            }
        }
    }
}
