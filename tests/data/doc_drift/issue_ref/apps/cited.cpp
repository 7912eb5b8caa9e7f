// Fixture of tests/check_no_issue_numbers.cmake: must be reported.
// The 1000-iteration cap (issue 10) stops hs047.
