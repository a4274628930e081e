"""The win-back of cancelled customers (SPEC C6): a page over contracts' cancellation notices
with the one-hour win-back meeting (a library ``Meeting``) and the outcome."""
