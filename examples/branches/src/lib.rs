//! Branches, as in Alembic's "Working with Branches": a trunk, a `shoppingcart` branch off
//! it, a `networking` branch with a base of its own that `depends_on` the shopping cart, and
//! a merge that joins them.
//!
//! ```text
//! a1b2c3d4e5f6 (trunk base) ── c0ffee000001 (shoppingcart) ── c0ffee000002 ──┐
//!                                       ▲ depends_on                        ├── 0e0e0e0e0e0e (merge)
//! d00d00000001 (networking base) ── d00d00000002 ─────────────────────────┘
//! ```

migrate_macros::migrations!();
