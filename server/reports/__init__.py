"""The reform's figures: the daily report (waits, stays, staff minutes by role) and the staffing planner."""
