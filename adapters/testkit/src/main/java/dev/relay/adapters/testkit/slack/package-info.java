/**
 * A fake of Slack's Web API method {@code chat.postMessage}, the far side of the {@code social-slack}
 * adapter: {@link dev.relay.adapters.testkit.slack.SlackFake}, which also signs Events API calls as Slack does.
 */
package dev.relay.adapters.testkit.slack;
