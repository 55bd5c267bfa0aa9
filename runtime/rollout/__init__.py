"""Safe rollout: several bundle versions served at once, a canary share of new calls, the
canary judged against the stable version on the journal's call ends, promoted or rolled back.

* `split` - which version a new call gets (sticky per caller);
* `board` - the decision (stable, canary, share, state) and the bundles, in the journal's
  database, shared by every runtime instance;
* `rules` - the outcome measures of each version and the decision the binding rules make;
* `live` - what one `flowc serve` instance does with it: polls the board, serves the versions,
  judges the canary and records the automatic promote or roll-back.
"""
