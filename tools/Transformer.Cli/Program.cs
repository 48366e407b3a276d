using Transformer.Cli;

// Ctrl+C cancels generation between tokens; System.CommandLine turns it into the action's cancellation token.
return await TransformerCli.InvokeAsync(args, CliContext.FromConsole());
