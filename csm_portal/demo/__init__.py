"""Demo data for `make run` (issue 14, newcomer): at the top of the house, since it knows every
app (accounts, contracts, activities, tickets…); no app imports it. Its management commands
(`load_demo_data`, `demo_logins`, `demo_totp`) make it an installed app of its own."""
