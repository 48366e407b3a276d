using System.CommandLine;
using Transformer.Gateway;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer gateway</c>: a YARP gateway in front of <c>transformer serve</c> replicas, routing by prompt
/// prefix (bounded-load consistent hashing), probing /health, retrying on another replica before the first byte.
/// </summary>
public static class GatewayCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var defaults = new GatewayOptions { Replicas = [new Uri("http://unused.invalid/")] };
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => defaults.Host, HelpName = "ADDRESS" };
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one)", DefaultValueFactory = _ => defaults.Port, HelpName = "PORT" };
        var replicas = new Option<string[]>("--replica")
        {
            Description = "A server replica's URL, e.g. http://127.0.0.1:8080 (repeat for each replica)",
            HelpName = "URL",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var prefixChars = new Option<int>("--affinity-prefix") { Description = "Characters of the leading text (system messages, else the first message; or the prompt) that choose the replica", DefaultValueFactory = _ => defaults.AffinityPrefixChars, HelpName = "CHARS" };
        var routing = new Option<string>("--routing")
        {
            Description = "affinity: requests sharing a prompt prefix go to one replica; least-requests: always the least loaded replica (the baseline)",
            DefaultValueFactory = _ => "affinity",
            HelpName = "POLICY",
        };
        routing.AcceptOnlyFromAmong("affinity", "least-requests");
        var loadFactor = new Option<double>("--affinity-load") { Description = "Bounded load: no replica takes more than this times the mean requests in flight (at least 1)", DefaultValueFactory = _ => defaults.AffinityLoadFactor, HelpName = "FACTOR" };
        var healthInterval = new Option<double>("--health-interval") { Description = "Seconds between /health probes of each replica", DefaultValueFactory = _ => defaults.HealthCheckInterval.TotalSeconds, HelpName = "SECONDS" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds a replica may send nothing before the request is given up (a request that does not stream sends nothing until done)", DefaultValueFactory = _ => defaults.ActivityTimeout.TotalSeconds, HelpName = "SECONDS" };

        var command = new Command("gateway", "Forward the OpenAI API to server replicas, routing requests that share a prompt prefix to the same replica")
        {
            host, port, replicas, routing, prefixChars, loadFactor, healthInterval, timeout,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            var urls = parsed.GetValue(replicas)!.Select(ReplicaUrl).ToList();
            var options = new GatewayOptions
            {
                Host = parsed.GetValue(host)!,
                Port = parsed.GetValue(port),
                Replicas = urls,
                Routing = Routing(parsed.GetValue(routing)!),
                AffinityPrefixChars = parsed.GetValue(prefixChars),
                AffinityLoadFactor = parsed.GetValue(loadFactor),
                HealthCheckInterval = Seconds(parsed.GetValue(healthInterval), "--health-interval"),
                ActivityTimeout = Seconds(parsed.GetValue(timeout), "--timeout"),
            };
            await using var gateway = InferenceGateway.Create(options);
            await gateway.StartAsync(cancellation).ConfigureAwait(false);
            context.Error.WriteLine($"gateway listening on {gateway.BaseAddress} for {urls.Count} replica(s): {string.Join(", ", urls)}; Ctrl+C stops");
            await gateway.WaitForShutdownAsync(cancellation).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>The policy named by <c>--routing</c> (its values are checked by the option).</summary>
    internal static GatewayRouting Routing(string name) => name == "least-requests" ? GatewayRouting.LeastRequests : GatewayRouting.PrefixAffinity;

    private static Uri ReplicaUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ArgumentException($"--replica '{CliErrors.Quote(text)}' is not an http:// or https:// URL");

    private static TimeSpan Seconds(double value, string option) =>
        value is > 0 and <= 86400 * 7 ? TimeSpan.FromSeconds(value) : throw new ArgumentException($"{option} must be a number of seconds above 0, not {value}");
}
