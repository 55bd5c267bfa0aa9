"""The parts of a live call's driver, one module per job (`runtime.driver.CallDriver` is the
coordinator that runs the loop):

* `host`: what every call of an instance shares (`CallHost`, `Timeouts`);
* `state`: the call's shared state and inbox items;
* `journaling`: everything a call writes to the journal (`CallJournal`);
* `esl_link`: the socket: setup, the event pump, apps and their completion, hang-up, close;
* `prompts`: Answer, Play, Collect (keys and speech);
* `lookups`: Fetch;
* `queue`: Enqueue (announcements, max wait) and `resume`: the queue's `after`;
* `handoff`: Transfer, Voicemail, Record;
* `ending`: the call's end.
"""
