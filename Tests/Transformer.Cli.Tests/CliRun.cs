using System.Text;
using Transformer.Cli;
using Transformer.Text.Hub;

namespace Transformer.Cli.Tests;

/// <summary>What one in-process run of the CLI produced.</summary>
public sealed record CliResult(int ExitCode, byte[] StandardOutput, string StandardError)
{
    public string Output => Encoding.UTF8.GetString(StandardOutput);

    public string[] ErrorLines => StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs the <c>transformer</c> command line in-process against buffers.</summary>
public static class CliRun
{
    /// <summary>Hub settings that never reach the network: a closed loopback port and an empty cache.</summary>
    public static HubOptions NoNetwork(string cacheDirectory) =>
        new() { Endpoint = LoopbackHub.ClosedEndpoint().ToString(), CacheDirectory = cacheDirectory, Offline = false };

    public static async Task<CliResult> InvokeAsync(HubOptions? hub, params string[] args)
    {
        using var output = new MemoryStream();
        using var error = new StringWriter { NewLine = "\n" };
        int exitCode = await TransformerCli.InvokeAsync(args, new CliContext(output, error, hub), TestContext.Current.CancellationToken);
        return new CliResult(exitCode, output.ToArray(), error.ToString());
    }

    public static Task<CliResult> InvokeAsync(params string[] args) => InvokeAsync(null, args);

    /// <summary>Runs with <paramref name="standardInput"/> as what the command reads from stdin.</summary>
    public static async Task<CliResult> InvokeWithInputAsync(string standardInput, params string[] args)
    {
        using var output = new MemoryStream();
        using var error = new StringWriter { NewLine = "\n" };
        using var input = new StringReader(standardInput);
        int exitCode = await TransformerCli.InvokeAsync(args, new CliContext(output, error, input: input), TestContext.Current.CancellationToken);
        return new CliResult(exitCode, output.ToArray(), error.ToString());
    }
}
