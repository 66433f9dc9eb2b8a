//! The lenient graph: a [`Graph`] that allows unmerged heads.
//!
//! A fork nobody merged yet is an error for everything that runs revisions (the
//! `migrations!()` macro refuses to compile it, so CI catches a forgotten merge), but it is
//! exactly when a developer needs the read-only commands (`heads`, `history`, `branches`,
//! `show`) and `merge`: Alembic answers them on such a graph, showing every head. The
//! lenient graph is the same graph with the same checks, except that
//! [`GraphError::MultipleHeads`] is reported beside the graph instead of failing it. Every
//! query and [`crate::spec`] work on it unchanged; `head` is then ambiguous and says so
//! ([`crate::spec::PlanError::MultipleHeads`], Alembic's message).

use super::{Graph, GraphError, GraphErrors, RevisionInfo, analyze};

impl Graph {
    /// Checks `revs` (any order) and builds the graph like [`Graph::new`], except that
    /// unmerged heads (two or more heads that no branch label tells apart) are allowed.
    ///
    /// Returns the graph and the unmerged-heads problems found (each a
    /// [`GraphError::MultipleHeads`] naming the heads and their files; empty when the graph
    /// is valid), for a warning.
    ///
    /// # Errors
    /// [`GraphErrors`] with every other problem [`super::check`] finds (duplicate ids,
    /// dangling `down_revision` or `depends_on`, cycles, unlabeled extra bases, duplicate
    /// branch labels).
    pub fn lenient(revs: Vec<RevisionInfo>) -> Result<(Graph, Vec<GraphError>), GraphErrors> {
        let mut analysis = analyze(&revs, true).map_err(GraphErrors)?;
        let unmerged = std::mem::take(&mut analysis.unmerged);
        Ok((Graph::build(revs, analysis), unmerged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fork() -> Vec<RevisionInfo> {
        vec![
            RevisionInfo::new("r0", &[]),
            RevisionInfo::new("r1", &["r0"]),
            RevisionInfo::new("r2", &["r0"]),
        ]
    }

    #[test]
    fn unmerged_heads_are_reported_beside_the_graph() {
        assert!(Graph::new(fork()).is_err());
        let (g, unmerged) = Graph::lenient(fork()).unwrap();
        // both heads, in the graph's (Alembic's) order
        let mut heads: Vec<&str> = g.heads().iter().map(|&i| g.at(i).id.as_str()).collect();
        heads.sort_unstable();
        assert_eq!(heads, ["r1", "r2"]);
        assert_eq!(
            unmerged,
            [GraphError::MultipleHeads {
                ids: vec!["r1".into(), "r2".into()],
                files: vec!["r1.rs".into(), "r2.rs".into()],
            }]
        );
    }

    #[test]
    fn a_valid_graph_has_no_unmerged_heads() {
        let mut revs = fork();
        revs.push(RevisionInfo::new("r3", &["r1", "r2"]));
        let (g, unmerged) = Graph::lenient(revs).unwrap();
        assert_eq!(g.heads(), [g.index_of("r3").unwrap()]);
        assert!(unmerged.is_empty());
    }

    #[test]
    fn every_other_problem_is_still_an_error() {
        let mut revs = fork();
        revs.push(RevisionInfo::new("r4", &["nope"]));
        let errors = Graph::lenient(revs).unwrap_err();
        assert!(
            matches!(errors.0.as_slice(), [GraphError::MissingParent { parent, .. }] if parent == "nope"),
            "{errors:?}"
        );
        // two unlabeled bases are not a fork: still refused
        let revs = vec![RevisionInfo::new("a", &[]), RevisionInfo::new("b", &[])];
        assert!(matches!(
            Graph::lenient(revs).unwrap_err().0.as_slice(),
            [GraphError::MultipleBases { .. }]
        ));
    }
}
