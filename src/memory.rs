//! How the allocator holds memory during a scan.
//!
//! glibc gives each thread that contends for memory an arena of its own and keeps what is freed
//! there for that arena: the layer records the reading threads build are freed by the main thread
//! after it applies them, and stay resident where the catalogers cannot reuse them (about a sixth
//! of the peak on a large image). One arena for the process, and handing free pages back after the
//! layers are applied, keep the peak near what is live; the readers allocate little, so sharing
//! one arena costs no measurable time.

/// One arena for every thread. Call before any thread is started.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn share_one_arena() {
    // SAFETY: mallopt only changes how later allocations are placed.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Returns the allocator's free pages to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_freed() {
    // SAFETY: malloc_trim only gives free pages back to the kernel; no live allocation is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators place and return memory their own way.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn share_one_arena() {}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() {}
